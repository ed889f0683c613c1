import { BackendError } from "./backend";
import { httpBackend, readToken } from "./http";

describe("http backend", () => {
  it("posts the request to /api/<command> with the bearer token", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      return new Response(JSON.stringify({ name: "MedDesk", version: "0.1.0", profile: "demo" }), { status: 200 });
    }) as unknown as typeof fetch;
    const info = await httpBackend("abc123", fetchImpl).call("app_info", {});
    expect(info.name).toBe("MedDesk");
    expect(seen[0]?.url).toBe("/api/app_info");
    expect((seen[0]?.init.headers as Record<string, string>).authorization).toBe("Bearer abc123");
    expect(seen[0]?.init.body).toBe("{}");
  });

  it("turns a coded error body into a BackendError with that code", async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ code: "unauthorized", message: "missing or wrong session token" }), {
        status: 401,
      })) as unknown as typeof fetch;
    const err = await httpBackend(null, fetchImpl).call("app_info", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe("unauthorized");
  });

  it("reads the token from the fragment once and removes it from the address bar", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as unknown as Storage;
    let replaced = "";
    const history = { replaceState: (_a: unknown, _b: string, url: string) => (replaced = url) } as unknown as History;
    const location = { hash: "#token=deadbeef", pathname: "/", search: "" } as Location;
    expect(readToken(location, storage, history)).toBe("deadbeef");
    expect(replaced).toBe("/");
    expect(readToken({ ...location, hash: "" } as Location, storage, history)).toBe("deadbeef");
  });
});
