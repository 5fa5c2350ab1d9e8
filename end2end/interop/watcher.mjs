// A stock y-websocket client driven line by line, for the Rust tests that
// need to see what a stock client sees while the server changes a document
// (a restore, say).
// Usage: node interop/watcher.mjs <serverWsBase> <docId>
//   stdout: READY (synced), then TEXT <json text> after every change
//   stdin:  APPEND <json string> inserts at the end; QUIT prints
//           DONE <disconnects> and exits 0
//   exit: 0 done, 1 error/timeout
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createInterface } from 'node:readline'

const [base, docId] = process.argv.slice(2)
if (!base || !docId) {
  console.error('usage: node interop/watcher.mjs <serverWsBase> <docId>')
  process.exit(1)
}

const doc = new Y.Doc()
const text = doc.getText('content')
const provider = new WebsocketProvider(base, docId, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
let disconnects = 0
provider.on('status', ({ status }) => { if (status === 'disconnected') disconnects++ })
const exit = (code) => { provider.destroy(); process.exit(code) }
setTimeout(() => { console.error(`timeout; text: ${JSON.stringify(text.toString())}`); exit(1) }, 30000)

provider.once('sync', () => {
  console.log('READY')
  console.log('TEXT ' + JSON.stringify(text.toString()))
  doc.on('update', () => console.log('TEXT ' + JSON.stringify(text.toString())))
})

for await (const line of createInterface({ input: process.stdin })) {
  if (line.startsWith('APPEND ')) text.insert(text.length, JSON.parse(line.slice('APPEND '.length)))
  else if (line === 'QUIT') { console.log(`DONE ${disconnects}`); exit(0) }
}
exit(1)
