package oss

import "net/http"

// evaluatePolicy checks the PostObject policy document against the form.
// Placeholder until local/osspolicy lands: every policy is refused.
func (s *Server) evaluatePolicy(rq *request, form *postForm) error {
	return newError(http.StatusNotImplemented, "NotImplemented", "PostObject policy evaluation is not available yet.", "")
}
