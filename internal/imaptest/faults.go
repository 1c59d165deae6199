package imaptest

import (
	"bytes"
	"errors"
	"net"
	"sync"
)

var errDropped = errors.New("imaptest: connection dropped on purpose")

// listener applies wrap to every accepted connection. imapserver keeps
// listeners in a map: use a pointer.
type listener struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}

// dropConn closes the connection once the server has written limit bytes,
// cutting the last write short: "a server that drops the connection
// mid-fetch".
type dropConn struct {
	net.Conn
	mu   sync.Mutex
	left int64
}

func (c *dropConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(b)) <= c.left {
		n, err := c.Conn.Write(b)
		c.left -= int64(n)
		return n, err
	}
	n, _ := c.Conn.Write(b[:c.left])
	c.left = 0
	c.Conn.Close()
	return n, errDropped
}

// hideIdleConn removes IDLE from the capabilities the server announces, to
// play a server without IDLE: imapserver always announces it for IMAP4rev1.
// It rewrites whole lines of one Write, which is how imapserver writes
// capability responses.
type hideIdleConn struct {
	net.Conn
}

var capabilityWord = []byte("CAPABILITY")

func (c hideIdleConn) Write(b []byte) (int, error) {
	if !bytes.Contains(b, capabilityWord) {
		return c.Conn.Write(b)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, line := range lines {
		if bytes.Contains(line, capabilityWord) {
			for _, end := range []string{" ", "]", "\r"} {
				line = bytes.ReplaceAll(line, []byte(" IDLE"+end), []byte(end))
			}
			lines[i] = line
		}
	}
	if _, err := c.Conn.Write(bytes.Join(lines, nil)); err != nil {
		return 0, err
	}
	return len(b), nil
}
