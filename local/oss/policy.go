package oss

import (
	"errors"

	"github.com/ossupload/ossupload/local/osspolicy"
)

// evaluatePolicy checks the PostObject policy document against the form as
// submitted (un-expanded key, the file's size and name) with osspolicy,
// mapping its error to the wire error once, here.
func (s *Server) evaluatePolicy(rq *request, form *postForm) error {
	err := osspolicy.Evaluate(form.fields["policy"],
		osspolicy.Form{Fields: form.fields, FileSize: form.staged.Size, FileName: form.fileName}, rq.bucket, rq.now)
	return fromPolicyError(err)
}

// fromPolicyError maps an *osspolicy.Error to the wire error; nil stays nil.
func fromPolicyError(err error) error {
	var pe *osspolicy.Error
	if errors.As(err, &pe) {
		return newError(pe.Status, pe.Code, pe.Message, pe.EC)
	}
	return err
}
