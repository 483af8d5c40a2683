// Package teams holds what the CLI and the admin pages share about groups
// and invites: making an invite (a random token that travels only in the
// link shown once to its maker, while the store keeps its hash), an
// invite's state, and the audit events of both. Redemption (signing up
// through the link) comes with the sign-up policy.
package teams
