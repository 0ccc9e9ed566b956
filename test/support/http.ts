/** One plain HTTP GET of `http://{endpoint}/`: status and body. */
import { get } from "node:http";

export function httpGet(endpoint: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://${endpoint}/`, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).once("error", reject);
  });
}
