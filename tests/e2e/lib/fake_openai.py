# A fake OpenAI-compatible chat endpoint for e2e scripts. A script writes a small Python file
# that imports this one and calls serve(reply), where reply(body) returns the assistant's text
# for a request body; serve() answers /v1/chat/completions (streaming or not), appends every
# request body to the log file, and writes its port to the port file.
# Usage from the script's file: python3 FILE PORT_FILE LOG_FILE
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def _completion(model, text):
    return {"id": "x", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _stream(model, text):
    chunks = [{"id": "x", "object": "chat.completion.chunk", "model": model,
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]},
              {"id": "x", "object": "chat.completion.chunk", "model": model,
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    return "".join("data: " + json.dumps(c) + "\n\n" for c in chunks) + "data: [DONE]\n\n"


def serve(reply):
    port_file, log_file = sys.argv[1], sys.argv[2]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with open(log_file, "a") as f:
                f.write(json.dumps(body) + "\n")
            text, model = reply(body), body.get("model", "")
            if body.get("stream"):
                data, ctype = _stream(model, text), "text/event-stream"
            else:
                data, ctype = json.dumps(_completion(model, text)), "application/json"
            data = data.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    srv = HTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()
