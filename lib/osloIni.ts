/**
 * Configuration files as data: fragments of `{section: {key: value}}` filled from templates,
 * merged in a fixed order, rendered once.
 *
 * Templates (templates/**.ini) are read with the `ini` package. Rendering is our own, because
 * the files are read by oslo.config, whose rules differ from the `ini` package's escaping:
 * oslo.config takes a value verbatim after `=` (no backslash escapes; one pair of surrounding
 * quotes is stripped) and interpolates `$name`, so a literal `$` must be written `$$`. A value
 * oslo.config cannot hold (a line break, surrounding white space, surrounding quotes) is refused.
 */
import { readFileSync } from "fs";
import * as ini from "ini";
import { join } from "path";

export type IniValue = string | number | boolean;

/** One file's worth of settings; an undefined value means "leave the key out". */
export type IniFragment = Record<string, Record<string, IniValue | undefined>>;

/** Variables a template's `{{name}}` placeholders are filled from. */
export type TemplateVariables = Readonly<Record<string, IniValue | undefined>>;

const templatesRoot = join(__dirname, "..", "templates");
const placeholder = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/** Reads templates/<name>.ini as a fragment with its placeholders still in place. */
export function readTemplate(name: string): Record<string, Record<string, IniValue>> {
  // ini.parse turns "true"/"false" into booleans; they render back the same.
  return ini.parse(readFileSync(join(templatesRoot, `${name}.ini`), "utf8"));
}

/**
 * Doubles `$` so oslo.config does not interpolate a substituted value (a password, say).
 * Template text itself keeps its `$my_ip`-style references.
 */
export function escapeOsloInterpolation(value: string): string {
  return value.replace(/\$/g, "$$$$");
}

/**
 * Fills a template's placeholders. A value that is only a placeholder whose variable is
 * undefined drops the key; a placeholder inside a longer value must be defined.
 */
export function fillTemplate(name: string, variables: TemplateVariables): IniFragment {
  const fragment: IniFragment = {};
  for (const [section, entries] of Object.entries(readTemplate(name))) {
    fragment[section] = {};
    for (const [key, template] of Object.entries(entries)) {
      if (typeof template !== "string") {
        fragment[section][key] = template;
        continue;
      }
      const whole = /^\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}$/.exec(template);
      if (whole) {
        const value = variables[whole[1]];
        fragment[section][key] = typeof value === "string" ? escapeOsloInterpolation(value) : value;
        continue;
      }
      fragment[section][key] = template.replace(placeholder, (_match, variable: string) => {
        const value = variables[variable];
        if (value === undefined) {
          throw new Error(`template ${name}: [${section}] ${key} needs "${variable}", which is not set`);
        }
        return escapeOsloInterpolation(String(value));
      });
    }
  }
  return fragment;
}

/**
 * Fills `{{name}}` placeholders of a plain-text template (files that are not ini: memcached's
 * options, say). Every placeholder must have a value.
 */
export function fillTextTemplate(name: string, variables: TemplateVariables): string {
  const text = readFileSync(join(templatesRoot, name), "utf8");
  return text.replace(placeholder, (_match, variable: string) => {
    const value = variables[variable];
    if (value === undefined) {
      throw new Error(`template ${name} needs "${variable}", which is not set`);
    }
    return String(value);
  });
}

/** Merges fragments left to right: a later fragment's key wins, undefined removes the key. */
export function mergeFragments(...fragments: readonly IniFragment[]): IniFragment {
  const merged: IniFragment = {};
  for (const fragment of fragments) {
    for (const [section, entries] of Object.entries(fragment)) {
      merged[section] = { ...merged[section], ...entries };
    }
  }
  return merged;
}

function checkValue(section: string, key: string, value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new Error(`[${section}] ${key}: a value cannot contain a line break or NUL`);
  }
  if (value !== value.trim()) {
    throw new Error(`[${section}] ${key}: oslo.config strips white space around a value; ${JSON.stringify(value)} cannot be kept`);
  }
  if (value.length > 1 && (value[0] === '"' || value[0] === "'") && value[0] === value[value.length - 1]) {
    throw new Error(`[${section}] ${key}: oslo.config strips surrounding quotes; ${JSON.stringify(value)} cannot be kept`);
  }
  return value;
}

/**
 * The file text: [DEFAULT] first, then the other sections in the order they were first
 * introduced, keys in insertion order, undefined keys and empty sections left out.
 */
export function renderOsloIni(fragment: IniFragment): string {
  const sections = Object.keys(fragment).sort((a, b) => Number(b === "DEFAULT") - Number(a === "DEFAULT"));
  const blocks: string[] = [];
  for (const section of sections) {
    const lines = Object.entries(fragment[section])
      .filter((entry): entry is [string, IniValue] => entry[1] !== undefined)
      .map(([key, value]) => `${key} =${value === "" ? "" : " " + checkValue(section, key, String(value))}`);
    if (lines.length > 0) {
      blocks.push([`[${section}]`, ...lines].join("\n"));
    }
  }
  return blocks.join("\n\n") + "\n";
}
