//go:build !linux

package gate

import "errors"

type line struct{}

func requestLine(string, uint32) (*line, error) {
	return nil, errors.New("GPIO gates need Linux")
}

func (*line) release() {}
