import { initPage } from "./page.js";

const config = await initPage("");
for (const element of document.querySelectorAll("[data-when-code]")) element.hidden = config.verification !== "code";
for (const element of document.querySelectorAll("[data-when-link]")) element.hidden = config.verification !== "link";
