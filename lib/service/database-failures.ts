/**
 * How the layers above the store read a database failure: the store's own classification (busy, read-only,
 * unreachable), for errors that reach the error handler without passing through the store, such as those of a
 * host's express-session store on the same database.
 */
export { translateDatabaseError } from "../store/database-errors.js";
