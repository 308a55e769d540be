import { createDemoApp } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const { app, close } = await createDemoApp();
const server = app.listen(port, host, () => {
  const where = process.env.DATABASE_URL ? "PostgreSQL" : "SQLite";
  console.log(`express-workflow-sessions demo on ${where}: http://${host === "0.0.0.0" ? "localhost" : host}:${port}/manage/sessions`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => server.close(() => void close().then(() => process.exit(0))));
}
