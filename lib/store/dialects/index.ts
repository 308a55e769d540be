export { LIST_SORT_COLUMNS, type ListSortColumn, type ListSortKey, type SqlDialect } from "./dialect.js";
export { detectDialect } from "./detect-dialect.js";
export { LIST_SORT_EXPRESSIONS, sqliteDialect } from "./sqlite.js";
export { postgresDialect } from "./postgres.js";
