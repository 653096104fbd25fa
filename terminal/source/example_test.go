package source_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/source"
)

// A keyboard-wedge scanner types each code and a newline; stdin: turns the
// lines into texts for Pipeline.Submit.
func ExampleOpen() {
	s, err := source.Open("stdin:", &source.Options{Stdin: strings.NewReader("HC1:EXAMPLE\r\n\n")})
	if err != nil {
		fmt.Println(err)
		return
	}
	texts := make(chan terminal.Scan, 1)
	if err := s.Run(context.Background(), nil, texts); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println((<-texts).Text)
	// Output: HC1:EXAMPLE
}
