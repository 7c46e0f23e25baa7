/** An error's `details`, which templates draw their particulars from. */
export type Details = Readonly<Record<string, unknown>>;

/**
 * `{name}` placeholders filled from details; a list is alternatives (the first whose placeholders are
 * all present wins, so end with one that needs none); a function when the wording depends on a value
 * (`say(key)` is that detail as the language shows it).
 */
export type Template = string | readonly string[] | ((d: Details, say: (key: string) => string) => string);

/** Everything one language says. */
export interface Messages {
  /** By stable error code. */
  errors: Readonly<Record<string, Template>>;
  /** Problem titles by HTTP status. */
  titles: Readonly<Record<number, string>>;
  /** Request validation: by JSON-schema keyword, over {field}, {type}, {allowed}, {limit}, {format}. */
  validation: {
    keywords: Readonly<Record<string, Template>>;
    /** Any other keyword. */
    other: Template;
    /** JSON-schema type names as a sentence uses them. */
    types: Readonly<Record<string, string>>;
    /** Joins alternatives: "a string or null". */
    or: string;
    /** How a field is named, by where it travelled (body, querystring, params, headers), before its path. */
    where: Readonly<Record<string, string>>;
    /** The whole body, query, … when the problem is not one field's. */
    whole: Readonly<Record<string, string>>;
  };
  /** Words for detail values, by detail key: `{state}` shows 待审核 rather than "requested". */
  terms: Readonly<Record<string, Readonly<Record<string, string>>>>;
  listSeparator: string;
}
