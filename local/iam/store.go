package iam

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// AccountID is the account every local identity and role belongs to.
const AccountID = "1234567890123456"

// Session duration limits (OSS/STS protocol reference §5.1).
const (
	MinSessionDuration     = 900 * time.Second
	DefaultSessionDuration = 3600 * time.Second
	MaxRoleSessionDuration = 43200 * time.Second
)

// ExpiredRetention is how long an expired session is kept so Lookup can
// still report ErrExpired (rather than ErrNotFound) for it.
const ExpiredRetention = 24 * time.Hour

// Kind tells what sort of identity a Principal is.
type Kind int

// Kinds.
const (
	KindUser        Kind = iota + 1 // RAM user with a long-term AccessKey
	KindAssumedRole                 // STS session minted by AssumeRole
	KindRoot                        // the account's root AccessKey (allowed everything, may not assume roles)
)

func (k Kind) String() string {
	switch k {
	case KindUser:
		return "User"
	case KindAssumedRole:
		return "AssumedRole"
	case KindRoot:
		return "Root"
	}
	return "Unknown"
}

// Principal is an authenticated identity as returned by Lookup.
type Principal struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string    // STS sessions only
	Expiration      time.Time // STS sessions only; zero for long-term keys
	ARN             string    // acs:ram::<acct>:user/<name>, acs:ram::<acct>:role/<role>/<session>, acs:ram::<acct>:root
	Kind            Kind
	Name            string // user name or role session name
	RoleARN         string // STS sessions: the assumed role
	AssumedRoleID   string // STS sessions: "<roleId>:<session>"
	// Policies: every group must allow (role policies, then the session
	// policy if any); a Deny anywhere wins. Nil for root.
	Policies [][]Policy
}

// Expired reports whether p is an STS session that has expired at now.
func (p Principal) Expired(now time.Time) bool {
	return !p.Expiration.IsZero() && !now.Before(p.Expiration)
}

// String redacts the secret and the token.
func (p Principal) String() string {
	return fmt.Sprintf("%s %s (%s)", p.Kind, p.ARN, p.AccessKeyID)
}

// GoString redacts the secret and the token.
func (p Principal) GoString() string { return "iam.Principal{" + p.String() + "}" }

// LogValue redacts the secret and the token.
func (p Principal) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", p.Kind.String()), slog.String("arn", p.ARN), slog.String("accessKeyId", p.AccessKeyID))
}

// Role is a RAM role.
type Role struct {
	ARN                string        // acs:ram::<AccountID>:role/<name>
	ID                 string        `json:",omitempty"` // numeric role id; assigned by AddRole when empty
	Trust              []string      // principal ARNs allowed to assume it (user, role, or acs:ram::<acct>:root for the whole account)
	Policies           []Policy      // what sessions of the role may do
	MaxSessionDuration time.Duration // 3600s..43200s; 0 means 3600s
}

// Name is the role name from the ARN.
func (r Role) Name() string { return r.ARN[strings.LastIndex(r.ARN, "/")+1:] }

type user struct {
	Name            string
	AccessKeyID     string
	AccessKeySecret string
	Policies        []Policy
	Root            bool `json:",omitempty"`
}

type session struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expiration      time.Time
	RoleARN         string
	SessionName     string
	CallerARN       string
	Policy          *Policy `json:",omitempty"`
}

type state struct {
	Users    []*user
	Roles    []*Role
	Sessions []*session
}

// Store holds identities, roles and sessions. It is safe for concurrent use.
type Store struct {
	path string
	now  func() time.Time

	mu       sync.Mutex
	users    map[string]*user    // by name
	roles    map[string]*Role    // by ARN
	sessions map[string]*session // by AccessKeyId
}

// NewStore returns a store kept in memory (path "") or persisted in the JSON
// file at path, loading it when it exists. now is the clock (nil: time.Now).
func NewStore(path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	s := &Store{path: path, now: now, users: map[string]*user{}, roles: map[string]*Role{}, sessions: map[string]*session{}}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iam: read state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("iam: decode state %s: %w", path, err)
	}
	for _, u := range st.Users {
		if u == nil || u.Name == "" || u.AccessKeyID == "" {
			return nil, fmt.Errorf("iam: state %s: user without name or access key", path)
		}
		s.users[u.Name] = u
	}
	for _, r := range st.Roles {
		if r == nil || !roleARN.MatchString(r.ARN) {
			return nil, fmt.Errorf("iam: state %s: role with a bad ARN", path)
		}
		s.roles[r.ARN] = r
	}
	for _, se := range st.Sessions {
		if se == nil || !strings.HasPrefix(se.AccessKeyID, "STS.") {
			return nil, fmt.Errorf("iam: state %s: bad session", path)
		}
		s.sessions[se.AccessKeyID] = se
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pruneLocked() {
		if err := s.saveLocked(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

var (
	roleARN     = regexp.MustCompile(`^acs:ram::[0-9]+:role/([A-Za-z0-9.\-]{1,64})$`)
	userName    = regexp.MustCompile(`^[A-Za-z0-9._@\-]{1,64}$`)
	sessionName = regexp.MustCompile(`^[a-zA-Z0-9.@\-_]{2,64}$`)
)

// rootName keys the root AccessKey among users; no RAM user name can clash
// with it (userName refuses '#').
const rootName = "#root"

// UserARN is the ARN of the RAM user name.
func UserARN(name string) string { return "acs:ram::" + AccountID + ":user/" + name }

// RootARN is the ARN of the account (trusting it trusts every RAM identity of the account).
func RootARN() string { return "acs:ram::" + AccountID + ":root" }

// RoleARN is the ARN of the role name.
func RoleARN(name string) string { return "acs:ram::" + AccountID + ":role/" + name }

// AddUser creates or replaces the RAM user name with one AccessKey pair
// and its policies. Replacing lets a restarted stack re-declare its users.
func (s *Store) AddUser(name, accessKeyID, secret string, policies ...Policy) error {
	return s.putUser(&user{Name: name, AccessKeyID: accessKeyID, AccessKeySecret: secret, Policies: policies})
}

// AddRoot creates or replaces the account's root AccessKey: allowed every
// action by Authorize, refused by AssumeRole.
func (s *Store) AddRoot(accessKeyID, secret string) error {
	return s.putUser(&user{Name: rootName, AccessKeyID: accessKeyID, AccessKeySecret: secret, Root: true})
}

func (s *Store) putUser(u *user) error {
	if !u.Root && !userName.MatchString(u.Name) {
		return fmt.Errorf("iam: bad user name %q", u.Name)
	}
	if u.AccessKeyID == "" || strings.HasPrefix(u.AccessKeyID, "STS.") || u.AccessKeySecret == "" {
		return errors.New("iam: a user needs an AccessKeyId (not STS.) and a secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.users {
		if other.AccessKeyID == u.AccessKeyID && other.Name != u.Name {
			return fmt.Errorf("iam: AccessKeyId already belongs to user %q", other.Name)
		}
	}
	old := s.users[u.Name]
	s.users[u.Name] = u
	if err := s.saveLocked(); err != nil {
		if old != nil {
			s.users[u.Name] = old
		} else {
			delete(s.users, u.Name)
		}
		return err
	}
	return nil
}

// AddRole creates or replaces a role (by ARN). The ARN must be
// acs:ram::<AccountID>:role/<name>; MaxSessionDuration 0 means 3600s.
func (s *Store) AddRole(r Role) error {
	m := roleARN.FindStringSubmatch(r.ARN)
	if m == nil || !strings.HasPrefix(r.ARN, "acs:ram::"+AccountID+":") {
		return fmt.Errorf("iam: bad role ARN %q (want %s)", r.ARN, RoleARN("<name>"))
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = DefaultSessionDuration
	}
	if r.MaxSessionDuration < DefaultSessionDuration || r.MaxSessionDuration > MaxRoleSessionDuration || r.MaxSessionDuration%time.Second != 0 {
		return fmt.Errorf("iam: role MaxSessionDuration %v outside 1h..12h", r.MaxSessionDuration)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.roles[r.ARN]
	if r.ID == "" {
		if old != nil {
			r.ID = old.ID
		} else {
			id, err := randomDigits(19)
			if err != nil {
				return err
			}
			r.ID = id
		}
	}
	s.roles[r.ARN] = &r
	if err := s.saveLocked(); err != nil {
		if old != nil {
			s.roles[r.ARN] = old
		} else {
			delete(s.roles, r.ARN)
		}
		return err
	}
	return nil
}

// AssumeRole mints an STS session of roleARN for caller. d 0 means 3600s.
// The session may do role policies ∩ *session (when not nil). Errors are
// *Error with the STS codes: InvalidParameter.RoleArn / .RoleSessionName /
// .DurationSeconds (400), NoPermission (403: root caller, caller lacking
// sts:AssumeRole on the role, or not trusted by it), EntityNotExist.Role
// (404), InternalError (500, state not saved).
func (s *Store) AssumeRole(caller Principal, arn, name string, sessionPolicy *Policy, d time.Duration) (Principal, error) {
	if !roleARN.MatchString(arn) {
		return Principal{}, &Error{Status: http.StatusBadRequest, Code: CodeRoleArn, Message: "The parameter RoleArn is wrongly formed."}
	}
	if !sessionName.MatchString(name) {
		return Principal{}, &Error{Status: http.StatusBadRequest, Code: CodeRoleSessionName, Message: "The parameter RoleSessionName is wrongly formed."}
	}
	if caller.Kind == KindRoot {
		return Principal{}, &Error{Status: http.StatusForbidden, Code: CodeNoPermission, Message: "Roles may not be assumed by root accounts."}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	role, ok := s.roles[arn]
	if !ok {
		return Principal{}, &Error{Status: http.StatusNotFound, Code: CodeRoleNotExist, Message: "The role not exists: " + arn + "."}
	}
	if Evaluate(caller.Policies, "sts:AssumeRole", arn, nil) != Allowed || !trusts(role, caller) {
		return Principal{}, &Error{Status: http.StatusForbidden, Code: CodeNoPermission, Message: "You are not authorized to do this action. You should be authorized by RAM."}
	}
	if d == 0 {
		d = DefaultSessionDuration
	}
	if d < MinSessionDuration || d > role.MaxSessionDuration {
		return Principal{}, &Error{Status: http.StatusBadRequest, Code: CodeDurationSeconds,
			Message: fmt.Sprintf("The Min/Max value of DurationSeconds is 15min/%s.", hours(role.MaxSessionDuration))}
	}
	se := &session{RoleARN: arn, SessionName: name, CallerARN: caller.ARN, Policy: sessionPolicy,
		Expiration: now.Add(d).UTC().Truncate(time.Second)}
	var err error
	if se.AccessKeyID, err = randomAlnum(24); err == nil {
		se.AccessKeyID = "STS." + se.AccessKeyID
		if se.AccessKeySecret, err = randomAlnum(44); err == nil {
			se.SecurityToken, err = randomToken()
		}
	}
	if err != nil {
		return Principal{}, &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "The request processing has failed due to some unknown error."}
	}
	s.pruneLocked()
	s.sessions[se.AccessKeyID] = se
	if err := s.saveLocked(); err != nil {
		delete(s.sessions, se.AccessKeyID)
		return Principal{}, fmt.Errorf("%w (%v)", &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "The request processing has failed due to some unknown error."}, err)
	}
	return s.sessionPrincipalLocked(se), nil
}

func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dhr", d/time.Hour)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

func trusts(r *Role, caller Principal) bool {
	for _, t := range r.Trust {
		switch {
		case t == "":
		case t == caller.ARN, caller.Kind == KindAssumedRole && t == caller.RoleARN:
			return true
		case t == RootARN() && strings.HasPrefix(caller.ARN, "acs:ram::"+AccountID+":"):
			return true
		}
	}
	return false
}

// Lookup finds the identity of an AccessKeyId. Unknown: ErrNotFound. An
// expired STS session: the full Principal AND an error matching ErrExpired.
func (s *Store) Lookup(accessKeyID string) (Principal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if se, ok := s.sessions[accessKeyID]; ok {
		p := s.sessionPrincipalLocked(se)
		if p.Expired(s.now()) {
			return p, ErrExpired
		}
		return p, nil
	}
	for _, u := range s.users {
		if u.AccessKeyID != accessKeyID {
			continue
		}
		if u.Root {
			return Principal{AccessKeyID: u.AccessKeyID, AccessKeySecret: u.AccessKeySecret, ARN: RootARN(), Kind: KindRoot, Name: u.Name}, nil
		}
		return Principal{AccessKeyID: u.AccessKeyID, AccessKeySecret: u.AccessKeySecret, ARN: UserARN(u.Name), Kind: KindUser, Name: u.Name,
			Policies: [][]Policy{append([]Policy(nil), u.Policies...)}}, nil
	}
	return Principal{}, ErrNotFound
}

func (s *Store) sessionPrincipalLocked(se *session) Principal {
	var rolePolicies []Policy
	roleID := ""
	name := se.RoleARN[strings.LastIndex(se.RoleARN, "/")+1:]
	if r, ok := s.roles[se.RoleARN]; ok { // a deleted role leaves an empty group: nothing allowed
		rolePolicies = append(rolePolicies, r.Policies...)
		roleID = r.ID
	}
	groups := [][]Policy{rolePolicies}
	if se.Policy != nil {
		groups = append(groups, []Policy{*se.Policy})
	}
	return Principal{
		AccessKeyID: se.AccessKeyID, AccessKeySecret: se.AccessKeySecret, SecurityToken: se.SecurityToken, Expiration: se.Expiration,
		ARN: "acs:ram::" + AccountID + ":role/" + name + "/" + se.SessionName, Kind: KindAssumedRole, Name: se.SessionName,
		RoleARN: se.RoleARN, AssumedRoleID: roleID + ":" + se.SessionName, Policies: groups,
	}
}

// Authorize is AuthorizeWith without condition context.
func (s *Store) Authorize(p Principal, action, resource string) error {
	return s.AuthorizeWith(p, action, resource, nil)
}

// AuthorizeWith returns nil when p may perform action on resource given the
// condition keys in ctx (e.g. acs:SourceIp, acs:SecureTransport, oss:Prefix),
// else an error matching ErrAccessDenied. Root is allowed everything. It
// does not check expiry: Lookup does.
func (s *Store) AuthorizeWith(p Principal, action, resource string, ctx map[string]string) error {
	if p.Kind == KindRoot {
		return nil
	}
	if Evaluate(p.Policies, action, resource, ctx) == Allowed {
		return nil
	}
	return ErrAccessDenied
}

// pruneLocked drops sessions expired for longer than ExpiredRetention and
// reports whether it dropped any.
func (s *Store) pruneLocked() bool {
	cut := s.now().Add(-ExpiredRetention)
	pruned := false
	for ak, se := range s.sessions {
		if se.Expiration.Before(cut) {
			delete(s.sessions, ak)
			pruned = true
		}
	}
	return pruned
}

func (s *Store) saveLocked() error {
	if s.path == "" {
		return nil
	}
	var st state
	for _, u := range s.users {
		st.Users = append(st.Users, u)
	}
	for _, r := range s.roles {
		st.Roles = append(st.Roles, r)
	}
	for _, se := range s.sessions {
		st.Sessions = append(st.Sessions, se)
	}
	sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].Name < st.Users[j].Name })
	sort.Slice(st.Roles, func(i, j int) bool { return st.Roles[i].ARN < st.Roles[j].ARN })
	sort.Slice(st.Sessions, func(i, j int) bool { return st.Sessions[i].AccessKeyID < st.Sessions[j].AccessKeyID })
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("iam: encode state: %w", err)
	}
	return writeFileAtomic(s.path, b)
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".iam-*.tmp")
	if err != nil {
		return fmt.Errorf("iam: save state: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("iam: save state: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("iam: save state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("iam: save state: %w", err)
	}
	return nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomAlnum(n int) (string, error) {
	return randomFrom(alnum, n)
}

func randomDigits(n int) (string, error) {
	s, err := randomFrom("0123456789", n-1)
	if err != nil {
		return "", err
	}
	first, err := randomFrom("123456789", 1)
	return first + s, err
}

func randomFrom(chars string, n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(chars)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("iam: random: %w", err)
		}
		b[i] = chars[v.Int64()]
	}
	return string(b), nil
}

// randomToken returns "CAIS" + base64 of 192 random bytes, the shape of a
// real STS SecurityToken.
func randomToken() (string, error) {
	b := make([]byte, 192)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("iam: random: %w", err)
	}
	return "CAIS" + base64.StdEncoding.EncodeToString(b), nil
}
