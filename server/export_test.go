package server

import "gatehouse/providers"

// SetAdmission sets provider's admission rules, for tests that need rules
// the config cannot express yet. Call it before the first request.
func (s *Server) SetAdmission(provider string, a providers.Admission) {
	s.signin.Admission[provider] = a
}
