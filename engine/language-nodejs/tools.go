//go:build tools
// The Node.js language host: the newest release the Go module proxy serves (see docs/engine.md).

package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
