// Write items into an aws-vault file store exactly as aws-vault does, with Node's `jose`.
//
// Used by the `awsafe import aws-vault` tests as an independent writer (awsafe reads with
// jwcrypto). aws-vault's file backend (99designs/keyring file.go, through jose2go) writes each
// keyring item as one compact JWE in its own file:
//   - the payload is the whole keyring item as Go's encoding/json marshals it: Key, Data (the
//     credential JSON, base64 as Go encodes a []byte), Label, Description and the two keychain
//     flags, in that order;
//   - alg PBES2-HS256+A128KW with 8192 PBKDF2 iterations and a 12-byte random salt (jose2go's
//     fixed choices), enc A256GCM, and an extra protected header `created` holding Go's
//     time.Now().String();
//   - the file name is the item key with '%' and '/' percent-encoded (mtibben/percent, upper-case
//     hex), mode 0600, in a 0700 directory.
//
// stdin (never argv: it holds the passphrases and the keys) is one JSON document:
//   {"passphrase": "...", "dir": "/path/to/keys", "items": [{"key": "...", "label": "...",
//    "data": <the credential object aws-vault marshals>, "passphrase": "..." (optional: this
//    item's own, as when aws-vault was run with another passphrase)}, ...]}
// stdout: one line per item, the file name written. Exit status 1 with the error on stderr.
import { CompactEncrypt } from "jose";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function escapeName(key) {
    let out = "";
    for (const ch of key) {
        if (ch === "%" || ch === "/") {
            for (const byte of Buffer.from(ch, "utf8")) {
                out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
            }
        } else {
            out += ch;
        }
    }
    return out;
}

// Go's time.Time.String() for the local clock in UTC, with the monotonic reading it appends.
function goTimeString(now) {
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    const date = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`;
    const time = `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
    const nanos = pad(now.getUTCMilliseconds(), 3) + "000000";
    return `${date} ${time}.${nanos} +0000 UTC m=+0.012345678`;
}

async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

try {
    const request = await readStdin();
    mkdirSync(request.dir, { recursive: true, mode: 0o700 });
    for (const item of request.items) {
        const keyringItem = {
            Key: item.key,
            Data: Buffer.from(JSON.stringify(item.data), "utf8").toString("base64"),
            Label: item.label,
            Description: "",
            KeychainNotTrustApplication: true,
            KeychainNotSynchronizable: false,
        };
        const token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(keyringItem)))
            .setProtectedHeader({ alg: "PBES2-HS256+A128KW", enc: "A256GCM", created: goTimeString(new Date()) })
            .setKeyManagementParameters({ p2c: 8192, p2s: randomBytes(12) })
            .encrypt(new TextEncoder().encode(item.passphrase ?? request.passphrase));
        const name = escapeName(item.key);
        const path = join(request.dir, name);
        writeFileSync(path, token, { mode: 0o600 });
        chmodSync(path, 0o600);
        process.stdout.write(`${name}\n`);
    }
} catch (error) {
    process.stderr.write(`awsvault-file-item: ${error?.name ?? "Error"}: ${error?.message ?? error}\n`);
    process.exitCode = 1;
}
