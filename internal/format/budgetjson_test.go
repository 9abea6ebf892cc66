package format

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// TestBudgetSummaryFormats: the line-budget summary in text (and
// filterlog, which keeps the text form for events) and as a JSON object.
func TestBudgetSummaryFormats(t *testing.T) {
	ev := record.Event{Kind: record.KindBudget, Budget: budget.Summary{Withheld: 18234, Firsts: 18000,
		Start: 1795258721_500000000, At: 1795258722_500000000, Rate: 2000}}
	text := "2026-11-21T10:58:42.500000+00:00 pfasciilogd: line budget: 18234 lines not written in 1s, 18000 first lines of new sources (over 2000 lines/s)\n"
	if got := string(NewText(time.UTC).AppendEvent(nil, &ev)); got != text {
		t.Errorf("text: got  %q\nwant %q", got, text)
	}
	if got := string(NewFilterlog(time.UTC, "host").AppendEvent(nil, &ev)); got != text {
		t.Errorf("filterlog: got %q", got)
	}
	js := `{"timestamp":"2026-11-21T10:58:42.500000+00:00","event":"line_budget","withheld":18234,"first_lines":18000,"window_seconds":1,"lines_per_second":2000}` + "\n"
	got := NewJSON(time.UTC).AppendEvent(nil, &ev)
	if string(got) != js || !json.Valid(got) {
		t.Errorf("json: got  %s\nwant %s", got, js)
	}
}
