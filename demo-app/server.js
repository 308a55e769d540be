import { createDemoApp } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const { app } = await createDemoApp();
app.listen(port, host, () => {
  console.log(`express-workflow-sessions demo: http://${host === "0.0.0.0" ? "localhost" : host}:${port}/manage/sessions`);
});
