//go:build tools
// The Pulumi CLI of the pinned release, built from the Go module proxy.
// go.mod pins the release and repeats the non-path replace of pkg/go.mod; go.sum pins every
// module by hash, so a tampered download fails the build.

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
