// Package privsep is pfasciilogd's privilege separation, shaped like
// pflogd's (sbin/pflogd/privsep.c): a tiny parent keeps root and does
// nothing but open, on request, the devices and files the administrator
// configured, handing each descriptor back over a socketpair
// (SCM_RIGHTS); the worker runs as the unprivileged user, enters Capsicum
// where it can, and asks the parent whenever it must reopen something:
// a bpf descriptor after pflog0 was destroyed and created again, or
// /var/log/pflog after newsyslog re-created it root 0600.
//
// The parent's Policy is fixed before the worker starts and holds only
// the configured interfaces, followed files and state file, so a
// compromised worker can obtain nothing else: every other request is
// refused with EPERM and logged by the parent.
//
// The wire protocol is one SOCK_SEQPACKET datagram per message, so no
// framing can be confused: a request is one op byte and its argument (an
// interface name, a path, or the state file's new content); a reply is a
// status byte, a 32-bit errno and a message, with the descriptor in an
// SCM_RIGHTS control message when an open succeeded. Requests are served
// one at a time.
package privsep

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Ops a worker may ask for.
const (
	// OpInterface: a bpf descriptor attached to a configured interface,
	// set up and locked by the parent (argument: interface name).
	OpInterface byte = 1 + iota
	// OpRead: a configured file, opened read-only (argument: its path).
	OpRead
	// OpSaveState: replace the state file's content atomically
	// (argument: the new content). No descriptor comes back.
	OpSaveState
	// OpCreateLog: create the configured log file, owned by the worker's
	// user, when it is missing (no argument: the path is fixed). The
	// worker then opens it itself.
	OpCreateLog
)

// MaxMessage bounds a request or reply (a state file of a few hundred
// followed files fits).
const MaxMessage = 64 << 10

// EnvFD is the environment variable that tells a re-executed pfasciilogd
// it is the worker and which descriptor is its end of the socketpair.
const EnvFD = "PFASCIILOGD_PRIVSEP_FD"

// Policy is what the parent may open for the worker: fixed at start.
type Policy struct {
	// Interfaces the worker may capture from, and how the parent opens
	// one (on FreeBSD: clone /dev/bpf, configure, attach, BIOCLOCK).
	Interfaces []string
	OpenIface  func(name string) (fd int, err error)
	// Files the worker may read (-r with -F), by their exact configured
	// path.
	Files []string
	// SaveState, when set, writes the state file (-state) atomically.
	SaveState func(content []byte) error
	// CreateLog, when set, creates the configured log for the worker if
	// it is missing (deleted by hand, not rotated by newsyslog).
	CreateLog func() error
	// Logf receives the parent's messages (refusals, failures); may be
	// nil.
	Logf func(format string, args ...any)
}

func (p *Policy) allowed(list []string, name string) bool {
	for _, n := range list {
		if n == name {
			return true
		}
	}
	return false
}

func (p *Policy) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

// Socketpair returns the parent's and the worker's ends of a new
// SOCK_SEQPACKET socketpair, both close-on-exec (exec.Cmd.ExtraFiles
// clears the flag on the worker's copy).
func Socketpair() (parent, worker *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("privsep: socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "privsep parent"), os.NewFile(uintptr(fds[1]), "privsep worker"), nil
}

// Serve answers the worker's requests on conn until the worker closes its
// end (it exited), then returns nil. It never returns a descriptor the
// Policy does not name.
func Serve(conn *os.File, p *Policy) error {
	fd := int(conn.Fd())
	buf := make([]byte, MaxMessage+1)
	for {
		n, _, _, _, err := unix.Recvmsg(fd, buf, nil, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("privsep: receive: %w", err)
		}
		if n == 0 {
			return nil // worker gone (EOF on a seqpacket socket)
		}
		var reply []byte
		var pass = -1
		if n > MaxMessage {
			reply = encodeReply(unix.EMSGSIZE, "request too long")
		} else {
			pass, reply = p.handle(buf[0], buf[1:n])
		}
		var oob []byte
		if pass >= 0 {
			oob = unix.UnixRights(pass)
		}
		err = unix.Sendmsg(fd, reply, oob, nil, 0)
		if pass >= 0 {
			unix.Close(pass)
		}
		if err != nil {
			return fmt.Errorf("privsep: reply: %w", err)
		}
	}
}

// handle performs one request; fd is -1 when none goes back.
func (p *Policy) handle(op byte, arg []byte) (fd int, reply []byte) {
	name := string(arg)
	refuse := func(what string) (int, []byte) {
		p.logf("privsep: refused the worker's request for %s %q: not configured", what, name)
		return -1, encodeReply(unix.EPERM, fmt.Sprintf("%s %q is not configured", what, name))
	}
	fail := func(err error) (int, []byte) {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = unix.EIO
		}
		return -1, encodeReply(errno, err.Error())
	}
	switch op {
	case OpInterface:
		if !p.allowed(p.Interfaces, name) || p.OpenIface == nil {
			return refuse("interface")
		}
		fd, err := p.OpenIface(name)
		if err != nil {
			return fail(err)
		}
		return fd, encodeReply(0, "")
	case OpRead:
		if !p.allowed(p.Files, name) {
			return refuse("file")
		}
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return fail(&os.PathError{Op: "open", Path: name, Err: err})
		}
		// O_NONBLOCK only so that a FIFO planted at the path cannot hang
		// the parent; reads of regular files never block anyway.
		if err := unix.SetNonblock(fd, false); err != nil {
			unix.Close(fd)
			return fail(err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			return fail(&os.PathError{Op: "open", Path: name, Err: unix.EINVAL})
		}
		return fd, encodeReply(0, "")
	case OpCreateLog:
		if p.CreateLog == nil || len(arg) != 0 {
			return refuse("log")
		}
		if err := p.CreateLog(); err != nil {
			return fail(err)
		}
		return -1, encodeReply(0, "")
	case OpSaveState:
		if p.SaveState == nil {
			return refuse("state file")
		}
		if err := p.SaveState(arg); err != nil {
			return fail(err)
		}
		return -1, encodeReply(0, "")
	}
	p.logf("privsep: refused unknown request %d from the worker", op)
	return -1, encodeReply(unix.EINVAL, fmt.Sprintf("unknown request %d", op))
}

// encodeReply lays out a reply: status (0 ok, 1 error), errno, message.
func encodeReply(errno syscall.Errno, msg string) []byte {
	b := make([]byte, 5, 5+len(msg))
	if errno != 0 {
		b[0] = 1
	}
	binary.BigEndian.PutUint32(b[1:], uint32(errno))
	return append(b, msg...)
}

// Error is a refusal or failure reported by the parent. It unwraps to the
// errno, so errors.Is(err, os.ErrNotExist) and the like work.
type Error struct {
	Op    string
	Name  string
	Errno syscall.Errno
	Msg   string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("privileged parent: %s %s: %s", e.Op, e.Name, e.Msg)
	}
	return fmt.Sprintf("privileged parent: %s %s: %v", e.Op, e.Name, e.Errno)
}

func (e *Error) Unwrap() error { return e.Errno }

// Client is the worker's end. Its methods may be called from several
// goroutines; requests go one at a time.
type Client struct {
	mu   sync.Mutex
	conn *os.File
	buf  []byte
	oob  []byte
}

// NewClient wraps the worker's end of the socketpair.
func NewClient(conn *os.File) *Client {
	return &Client{conn: conn, buf: make([]byte, MaxMessage), oob: make([]byte, unix.CmsgSpace(4*4))}
}

// ClientFromEnv returns the Client for a worker started by Start (EnvFD
// set), or nil when this process is not such a worker.
func ClientFromEnv() (*Client, error) {
	v := os.Getenv(EnvFD)
	if v == "" {
		return nil, nil
	}
	var fd int
	if _, err := fmt.Sscanf(v, "%d", &fd); err != nil || fd < 3 {
		return nil, fmt.Errorf("privsep: bad %s=%q", EnvFD, v)
	}
	os.Unsetenv(EnvFD)
	unix.CloseOnExec(fd)
	return NewClient(os.NewFile(uintptr(fd), "privsep")), nil
}

// Interface asks for a bpf descriptor attached to iface.
func (c *Client) Interface(iface string) (int, error) {
	return c.open(OpInterface, "open interface", iface)
}

// Open asks for path opened read-only.
func (c *Client) Open(path string) (*os.File, error) {
	fd, err := c.open(OpRead, "open", path)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// SaveState asks the parent to replace the state file's content.
func (c *Client) SaveState(content []byte) error {
	if len(content)+1 > MaxMessage {
		return fmt.Errorf("privsep: state of %d bytes is too large", len(content))
	}
	_, err := c.request(OpSaveState, "save state", "file", content)
	return err
}

// CreateLog asks the parent to create the configured log if it is
// missing.
func (c *Client) CreateLog() error {
	_, err := c.request(OpCreateLog, "create", "log", nil)
	return err
}

func (c *Client) open(op byte, what, name string) (int, error) {
	fd, err := c.request(op, what, name, []byte(name))
	if err != nil {
		return -1, err
	}
	if fd < 0 {
		return -1, &Error{Op: what, Name: name, Errno: unix.EBADMSG, Msg: "no descriptor in the reply"}
	}
	return fd, nil
}

func (c *Client) request(op byte, what, name string, arg []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := make([]byte, 0, 1+len(arg))
	msg = append(append(msg, op), arg...)
	fd := int(c.conn.Fd())
	if err := unix.Sendmsg(fd, msg, nil, nil, 0); err != nil {
		return -1, fmt.Errorf("privsep: %s %s: send: %w", what, name, err)
	}
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(fd, c.buf, c.oob, unix.MSG_CMSG_CLOEXEC)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return -1, fmt.Errorf("privsep: %s %s: receive: %w", what, name, err)
	}
	if n == 0 {
		return -1, fmt.Errorf("privsep: %s %s: the privileged parent is gone", what, name)
	}
	got := -1
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(c.oob[:oobn])
		if err == nil {
			for _, m := range msgs {
				fds, err := unix.ParseUnixRights(&m)
				if err != nil {
					continue
				}
				for _, f := range fds {
					if got < 0 {
						got = f
					} else {
						unix.Close(f) // never more than one; keep none extra
					}
				}
			}
		}
	}
	if n < 5 {
		if got >= 0 {
			unix.Close(got)
		}
		return -1, &Error{Op: what, Name: name, Errno: unix.EBADMSG, Msg: "short reply"}
	}
	if c.buf[0] != 0 {
		if got >= 0 {
			unix.Close(got)
		}
		return -1, &Error{Op: what, Name: name, Errno: syscall.Errno(binary.BigEndian.Uint32(c.buf[1:5])), Msg: string(c.buf[5:n])}
	}
	return got, nil
}

// Close closes the worker's end; the parent's Serve then returns.
func (c *Client) Close() error { return c.conn.Close() }
