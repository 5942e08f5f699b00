// Starts `strat lsp` over stdio for .strat files. Plain JavaScript: no build
// step; `npm install` fetches vscode-languageclient (see Docs/Editors.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("strat.server");
  const server = { command: config.get("command", "strat"), args: config.get("arguments", ["lsp"]) };
  client = new LanguageClient("strat", "Strat", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "strat" }, { scheme: "untitled", language: "strat" }],
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
