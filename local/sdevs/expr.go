package sdevs

import (
	"errors"
	"fmt"
	"strings"
)

// Scope supplies what an expression may read.
type Scope struct {
	// Getenv looks up env('NAME'); "" counts as unset, as in Serverless Devs.
	Getenv func(string) string
	// Vars are the resolved vars (vars.name).
	Vars map[string]string
	// Config answers config('Key').
	Config map[string]string
	// MissingEnv, when set, is the error for env('NAME') without a default
	// whose variable is unset (Serverless Devs 3 stops with
	// "env('NAME') not found"); when nil such an env() is "".
	MissingEnv func(name string) error
}

// Eval evaluates the text of one ${...} magic variable. It understands the
// subset of Serverless Devs 3 expressions s.yaml uses:
//
//	expr := term { '+' term }
//	term := 'text' | "text" | vars.name | env('NAME' [, expr]) | config('Key')
//
// so that an optional setting can default to a value derived from others,
// e.g. ${env('OSS_ENDPOINT', 'https://oss-' + vars.region + '.aliyuncs.com')}
// (`s preview` renders exactly this; tests/deploy compares the two).
func Eval(expr string, sc Scope) (string, error) {
	p := &parser{s: expr, sc: sc}
	v, err := p.expr()
	if err != nil {
		return "", err
	}
	p.space()
	if p.i != len(p.s) {
		return "", p.unsupported()
	}
	return v, nil
}

type parser struct {
	s  string
	i  int
	sc Scope
}

func (p *parser) unsupported() error {
	return errors.New("unsupported expression (the local stack understands vars.x, env('X'[, default]), config('AccountID'), quoted strings and +)")
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) expr() (string, error) {
	var b strings.Builder
	for {
		v, err := p.term()
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		if !p.eat('+') {
			return b.String(), nil
		}
	}
}

func (p *parser) quoted() (string, bool) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

func (p *parser) ident() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *parser) term() (string, error) {
	if v, ok := p.quoted(); ok {
		return v, nil
	}
	id := p.ident()
	if name, ok := strings.CutPrefix(id, "vars."); ok {
		v, found := p.sc.Vars[name]
		if !found {
			return "", fmt.Errorf("no var %q", name)
		}
		return v, nil
	}
	switch id {
	case "env":
		if !p.eat('(') {
			return "", p.unsupported()
		}
		name, ok := p.quoted()
		if !ok || name == "" {
			return "", p.unsupported()
		}
		var def string
		hasDef := false
		if p.eat(',') {
			var err error
			if def, err = p.expr(); err != nil {
				return "", err
			}
			hasDef = true
		}
		if !p.eat(')') {
			return "", p.unsupported()
		}
		getenv := p.sc.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		if v := getenv(name); v != "" {
			return v, nil
		}
		if !hasDef && p.sc.MissingEnv != nil {
			return "", p.sc.MissingEnv(name)
		}
		return def, nil
	case "config":
		if !p.eat('(') {
			return "", p.unsupported()
		}
		key, ok := p.quoted()
		if !ok || !p.eat(')') {
			return "", p.unsupported()
		}
		v, found := p.sc.Config[key]
		if !found {
			return "", fmt.Errorf("config(%q) is not known to the local stack", key)
		}
		return v, nil
	}
	return "", p.unsupported()
}
