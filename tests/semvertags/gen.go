// Command gen writes testdata/semvertags/legacy.json: for each tag of
// testdata/semvertags/tags.txt, whether Flux <= 2.6's tag parser accepts it
// and, if so, the version it reads; and for each (range, version) pair of
// testdata/semvertags/ranges.txt, whether Masterminds' Constraints.Check of
// that age (each constraint decides alone whether a prerelease may match)
// admits the version. The Rust tests in src/policy/semver/tests_tags.rs read
// the table; CI needs no Go.
//
// The parser is fluxcd/pkg `version.ParseVersion` as image-reflector-controller
// used it up to 0.35 (Flux 2.6): strip one leading "v", require
// semver.StrictNewVersion to accept the rest, then return
// semver.NewVersion of the whole tag. It is restated here, since a Go module
// of that age cannot be fetched on this machine; Masterminds/semver comes
// from Debian's golang-github-masterminds-semver-dev (3.2.0).
//
// Run from the repository root, with that package installed:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/semvertags/gen.go
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/Masterminds/semver"
)

func legacyParseVersion(v string) (*semver.Version, error) {
	if _, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v")); err != nil {
		return nil, err
	}
	return semver.NewVersion(v)
}

type check struct {
	Range   string `json:"range"`
	Version string `json:"version"`
	// null when NewConstraint or NewVersion refuses its input.
	Matches *bool `json:"matches"`
}

type row struct {
	Tag string `json:"tag"`
	// The version read ("MAJOR.MINOR.PATCH[-PRE]", build metadata dropped),
	// or null when the tag is not a version.
	Version *string `json:"version"`
}

func main() {
	f, err := os.Open("testdata/semvertags/tags.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	out := struct {
		Go          string  `json:"go"`
		Masterminds string  `json:"masterminds"`
		Rows        []row   `json:"rows"`
		Checks      []check `json:"checks"`
	}{Go: runtime.Version(), Masterminds: "3.2.0 (Debian golang-github-masterminds-semver-dev)"}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tag, err := strconv.Unquote(line)
		if err != nil {
			panic(fmt.Sprintf("line %d: %v", n, err))
		}
		r := row{Tag: tag}
		if v, err := legacyParseVersion(tag); err == nil {
			s := fmt.Sprintf("%d.%d.%d", v.Major(), v.Minor(), v.Patch())
			if v.Prerelease() != "" {
				s += "-" + v.Prerelease()
			}
			r.Version = &s
		}
		out.Rows = append(out.Rows, r)
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
	out.Checks = readChecks()
	w, err := os.Create("testdata/semvertags/legacy.json")
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

func readChecks() []check {
	f, err := os.Open("testdata/semvertags/ranges.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var checks []check
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 2)
		if len(parts) != 2 {
			panic(fmt.Sprintf("line %d: no tab", n))
		}
		r, err1 := strconv.Unquote(parts[0])
		v, err2 := strconv.Unquote(parts[1])
		if err1 != nil || err2 != nil {
			panic(fmt.Sprintf("line %d: %v %v", n, err1, err2))
		}
		c := check{Range: r, Version: v}
		cons, errC := semver.NewConstraint(r)
		ver, errV := semver.NewVersion(v)
		if errC == nil && errV == nil {
			ok := cons.Check(ver)
			c.Matches = &ok
		}
		checks = append(checks, c)
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
	return checks
}
