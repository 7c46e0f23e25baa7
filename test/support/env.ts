/** Where the test databases come from; shared by the global setup and each test file. */
export const TEMPLATE_FILE = ".tmp/pglite-template.tar";

export const templateDbName = (url: string) => `${new URL(url).pathname.slice(1) || "aftersales"}_tpl`;

export const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

/** A connection to the server's maintenance database, for CREATE/DROP DATABASE. */
export const adminUrl = (url: string) => {
  const u = new URL(url);
  u.pathname = "/postgres";
  return u.toString();
};
