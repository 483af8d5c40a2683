package providertest

import (
	"net/http"
	"strings"
)

func (f *Fake) deviceCode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.PostForm.Get("client_id") != f.ClientID {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"device_code": "dev-" + randomish(), "user_code": "WDJB-MJHT",
		"verification_uri": f.URL + "/login/device", "expires_in": 900, "interval": 5})
}

// devicePoll answers per DeviceNext, like GitHub with HTTP 200 for errors.
func (f *Fake) devicePoll(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.PostForm.Get("device_code"), "dev-") {
		writeJSON(w, http.StatusOK, map[string]string{"error": "incorrect_device_code"})
		return
	}
	f.mu.Lock()
	next := f.DeviceNext
	f.mu.Unlock()
	if next != "" {
		writeJSON(w, http.StatusOK, map[string]string{"error": next})
		return
	}
	f.issue(w, OK, true, nil)
}

// SetDeviceNext sets what the next device poll answers.
func (f *Fake) SetDeviceNext(code string) {
	f.mu.Lock()
	f.DeviceNext = code
	f.mu.Unlock()
}

// SetFault switches a fault on for path (OK switches it off); safe while
// the fake serves.
func (f *Fake) SetFault(path string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Faults[path] = fault
}
