/**
 * The operator's `configOverrides`: settings added to the files the catalog lets them add to,
 * read and checked. Keys the installer sets are refused, found by rendering each file.
 */
import { serviceIds, serviceRecord } from "../catalog/services";
import type { IniFragment } from "../lib/osloIni";
import type { OsProfile } from "../profiles/profiles";
import { renderConfigFile } from "../render/configFiles";
import { passwordsFrom } from "./passwords";
import { key, member, Reader, show } from "./reader";
import type { OverridableFile } from "./types";

/** Each `configOverrides` key with the service and the file (the profile's file id) it adds to. */
export const overridableFiles: readonly {
  readonly configKey: OverridableFile;
  readonly service: (typeof serviceIds)[number];
  readonly file: string;
}[] = serviceIds.flatMap((id) => {
  const overrides = serviceRecord(id).overrides;
  return overrides === undefined ? [] : [{ configKey: overrides.configKey as OverridableFile, service: id, file: overrides.file }];
});
const overridableKeys = overridableFiles.map((entry) => entry.configKey);

/**
 * oslo.config reads section names in lower case, all but DEFAULT: "[Database]" would set
 * [database] keys behind the installer's back, so overrides must spell sections as they are read.
 */
const sectionNamePattern = /^(DEFAULT|[a-z][a-z0-9_.-]{0,63})$/;
/** Option names as oslo.config registers them; nothing here can open a section or a comment. */
const optionNamePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
/** What a line-based ini parser could read as the end of a value; tab is ordinary text. */
const controlCharacters = /[\x00-\x08\x0a-\x1f\x7f]/;

export function readOverrides(reader: Reader): Partial<Record<OverridableFile, IniFragment>> {
  const value = reader.raw["configOverrides"];
  if (value === undefined) {
    return {};
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    reader.problems.push(`${key("configOverrides")}: expected an object keyed by file (${overridableKeys.join(", ")}), got ${show(value)}`);
    return {};
  }
  const overrides: Partial<Record<OverridableFile, IniFragment>> = {};
  for (const [file, sections] of Object.entries(value as Record<string, unknown>)) {
    const path = member(key("configOverrides"), file);
    if (!(overridableKeys as readonly string[]).includes(file)) {
      reader.problems.push(`${path}: unknown file; expected one of ${overridableKeys.join(", ")}`);
      continue;
    }
    if (typeof sections !== "object" || sections === null || Array.isArray(sections)) {
      reader.problems.push(`${path}: expected an object of sections, got ${show(sections)}`);
      continue;
    }
    const fragment: IniFragment = {};
    for (const [section, entries] of Object.entries(sections as Record<string, unknown>)) {
      const sectionPath = member(path, section);
      if (!sectionNamePattern.test(section) || section === "default") {
        reader.problems.push(`${sectionPath}: ${show(section)} ${sectionNameProblem(section)}`);
        continue;
      }
      fragment[section] = {};
      if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
        reader.problems.push(`${sectionPath}: expected an object of keys, got ${show(entries)}`);
        continue;
      }
      for (const [name, setting] of Object.entries(entries as Record<string, unknown>)) {
        const settingPath = member(sectionPath, name);
        if (!optionNamePattern.test(name)) {
          reader.problems.push(`${settingPath}: ${show(name)} is not an option name (a letter, then letters, digits, "_", ".", "-")`);
          continue;
        }
        if (!["string", "number", "boolean"].includes(typeof setting)) {
          reader.problems.push(`${settingPath}: expected a string, number or boolean, got ${show(setting)}`);
          continue;
        }
        // The value is not shown: an override may carry a credential.
        if (typeof setting === "string" && controlCharacters.test(setting)) {
          reader.problems.push(
            `${settingPath}: a value cannot contain a line break, NUL or other control character (a line break would let it write keys and sections of its own)`,
          );
          continue;
        }
        fragment[section][name] = setting as string | number | boolean;
      }
    }
    overrides[file as OverridableFile] = fragment;
  }
  return overrides;
}

/** Why an override's section name is refused (the caller has tested it). */
function sectionNameProblem(section: string): string {
  if (section.toUpperCase() === "DEFAULT") {
    return `is not how oslo.config names the default section; write "DEFAULT"`;
  }
  if (sectionNamePattern.test(section.toLowerCase())) {
    return `would be read as [${section.toLowerCase()}] (oslo.config lower-cases section names, all but DEFAULT); write ${show(section.toLowerCase())}`;
  }
  return `is not a section name (a lower-case letter, then lower-case letters, digits, "_", ".", "-"; or DEFAULT)`;
}

/** Overrides of keys the installer sets, found by rendering each file with stand-in values. */
export function overrideProblems(profile: OsProfile, overrides: Partial<Record<OverridableFile, IniFragment>>): string[] {
  const standIn = "stand-in-password";
  const cloud = {
    controllerHost: "controller",
    controllerAddress: "192.0.2.10",
    region: "RegionOne",
    passwords: passwordsFrom(() => standIn),
  };
  const problems: string[] = [];
  for (const [file, fragment] of Object.entries(overrides) as [OverridableFile, IniFragment][]) {
    const path = `${key("configOverrides")}.${file}`;
    const target = overridableFiles.find((entry) => entry.configKey === file)!;
    const spec = profile.services[target.service].files[target.file];
    if (spec === undefined) {
      problems.push(`${path}: the ${profile.operatingSystem}/${profile.release} profile has no such file`);
      continue;
    }
    // One setting at a time, so that what the renderer refuses is reported under its own key.
    for (const [section, entries] of Object.entries(fragment)) {
      for (const [name, value] of Object.entries(entries)) {
        try {
          renderConfigFile(spec, cloud, { myIp: "192.0.2.10", virtType: "qemu" }, { [section]: { [name]: value } });
        } catch (error) {
          problems.push(`${member(member(path, section), name)}: ${(error as Error).message}`);
        }
      }
    }
  }
  return problems;
}
