// go-oracle - the differential oracle of the Go version ordering
// (tests/versions/diff_go.py): reads lines "A<TAB>B" on stdin and prints, per
// line, "invalid" when golang.org/x/mod/semver.IsValid rejects A or B, else
// semver.Compare(A, B) as -1, 0 or 1.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		line := strings.TrimSuffix(in.Text(), "\r")
		a, b, ok := strings.Cut(line, "\t")
		if !ok || !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "invalid")
			continue
		}
		fmt.Fprintln(out, semver.Compare(a, b))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle:", err)
		os.Exit(1)
	}
}
