package f2btest

import (
	"reflect"
	"testing"
)

// TestParseStatus reads the answer of fail2ban 1.0's "status JAIL".
func TestParseStatus(t *testing.T) {
	out := `Status for the jail: pfasciilogd
|- Filter
|  |- Currently failed:	3
|  |- Total failed:	164
|  ` + "`" + `- File list:	/var/log/pf.log
` + "`" + `- Actions
   |- Currently banned:	2
   |- Total banned:	6
   ` + "`" + `- Banned IP list:	2001:db8:bad::5 121.224.77.46
`
	want := Status{Failed: 3, TotalFailed: 164, Banned: 2, TotalBanned: 6, BannedIPs: []string{"121.224.77.46", "2001:db8:bad::5"}}
	if got := parseStatus(out); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
