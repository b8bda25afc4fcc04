// Package iam is the identity store of the local emulators: RAM users with
// long-term AccessKeys, an optional root key, roles with a trust list and
// role policies, and STS sessions minted by AssumeRole. It also implements
// the RAM policy language (Version "1", Allow/Deny statements, `*` and `?`
// wildcards, conditions) and its evaluation.
//
// Evaluation: a principal carries its policies as groups (Principal.Policies).
// Any matching explicit Deny in any group wins; otherwise every group must
// hold a matching Allow; anything else is an implicit deny. A RAM user has
// one group (its policies); an STS session has the role's policies and, when
// AssumeRole was given one, the session policy as a second group, so the
// session may do exactly role ∩ session policy. Role policies are read when
// the session is looked up, so changing a role (AddRole again) changes its
// live sessions, as in RAM.
//
// Expiry: Lookup of an STS AccessKeyId whose session has expired returns the
// full Principal (including Expiration and SecurityToken) together with an
// error for which errors.Is(err, ErrExpired) holds, so a caller can first
// check the token it was sent and then answer "expired" (the OSS emulator
// maps it to SecurityTokenExpired). Expired sessions are kept for
// ExpiredRetention after their expiry so that answer stays distinguishable
// from an unknown key, then pruned. Callers with their own clock may also use
// Principal.Expired.
//
// Persistence: NewStore with a path loads the JSON state file if it exists
// and rewrites it (temporary file + rename, mode 0600) after every change,
// so users, roles and sessions survive a restart. The file holds secrets.
package iam
