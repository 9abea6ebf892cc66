package output

import "errors"

// ErrNoJournald is returned by OpenJournal when journald does not listen
// (and always off Linux, where there is no journald: the journal client
// is linked into Linux builds only).
var ErrNoJournald = errors.New("journald is not running (no /run/systemd/journal/socket)")

// JournalIdentifier is the SYSLOG_IDENTIFIER of every entry.
const JournalIdentifier = "pfasciilogd"
