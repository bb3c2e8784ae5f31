// ESLint 9 flat config: typescript-eslint's type-aware recommended rules over every TypeScript file of the
// repository (the tsconfig's files and those they import: deployment.ts, config/, render/, steps/, remote/).
// Formatting is Prettier's (.prettierrc.json): no stylistic rule here. `npx eslint .` runs in about 20 s.
// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".state/", "dist/", "engine/", "test/golden/"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The tsc convention the code already follows (noUnusedLocals/noUnusedParameters): a leading "_"
      // marks a parameter kept for its position, or a property destructured only to leave it out.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // Off: the stack validation rejects control characters on purpose (hostile input), with regexes made of them.
      "no-control-regex": "off",
      // Off: its findings here are reject(error) of execFile's error (@types/node declares it through Omit<>,
      // which the rule does not take for an Error) and of a caught `unknown`; nothing rejects a non-error.
      "@typescript-eslint/prefer-promise-reject-errors": "off",
    },
  },
  {
    files: ["test/**/*.ts", "**/*.test.ts"],
    rules: {
      // Off in tests: vitest's asymmetric matchers (expect.any, expect.stringMatching, ...) are typed `any`,
      // and so are the inputs the Pulumi mocks record; the tests read both as they know them.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
