import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { BackendError, type SessionStatus, type SignInRequest } from "../backend";
import { active, entry, locked, signedOut } from "../../tests/fixtures";
import { fakeBackend } from "../../tests/fakeBackend";
import { AppShell } from "./AppShell";
import { newQueryClient, Providers } from "./Providers";

function renderApp(handlers: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend({ app_info: () => ({ name: "MedDesk", version: "0.1.0", profile: "demo", pack_version: "t", pack_hash: "0", triage_rules_version: "t" }), ...handlers });
  const client = newQueryClient();
  render(
    <Providers backend={backend} client={client}>
      <AppShell />
    </Providers>,
  );
  return { backend, client };
}

// The signed-in chunk is lazy (the first screen carries no antd); load it once up front so
// the first test does not spend its wait on transforming antd under jsdom.
beforeAll(async () => {
  await import("./SignedIn");
});

describe("sign-in", () => {
  it("lists the demo accounts as marked demo credentials and signs in with one click to fill", async () => {
    let status: SessionStatus = signedOut();
    const { backend } = renderApp({
      session_status: () => status,
      sign_in: (r) => {
        expect(r).toEqual({ user_id: "dr.demo", password: "demo-physician", totp: null });
        status = active();
        return status;
      },
      queue_list: () => ({ now: new Date().toISOString(), entries: [entry({})], breached: 0 }),
    });
    const demo = await screen.findByTestId("demo-accounts");
    expect(demo).toHaveTextContent("演示账号");
    expect(demo).toHaveTextContent("当前验证码 123456");
    await userEvent.click(screen.getByRole("button", { name: "填入 dr.demo" }));
    await userEvent.click(screen.getByRole("button", { name: /^登\s*录$/ }));
    expect(await screen.findByTestId("queue-screen")).toBeInTheDocument();
    expect(backend.calls.some((c) => c.command === "sign_in")).toBe(true);
  });

  it("asks for the TOTP code when the core answers totp_required, then sends it", async () => {
    const requests: SignInRequest[] = [];
    renderApp({
      session_status: () => signedOut(),
      sign_in: (r) => {
        requests.push(r);
        if (!r.totp) throw new BackendError("totp_required", "a TOTP code is required");
        throw new BackendError("totp_invalid", "wrong code");
      },
    });
    await userEvent.type(await screen.findByLabelText("用户名"), "admin.x");
    await userEvent.type(screen.getByLabelText("密码"), "secret-pass");
    await userEvent.keyboard("{Enter}");
    expect(await screen.findByText("请输入动态验证码")).toBeInTheDocument();
    const totp = await screen.findByLabelText("动态验证码（6 位）");
    await userEvent.type(totp, "654321{Enter}");
    expect(await screen.findByText("动态验证码无效或已过期")).toBeInTheDocument();
    expect(requests.map((r) => r.totp)).toEqual([null, "654321"]);
  });
});

describe("lock", () => {
  it("the lock button shows the lock screen with only the user's name and forgets patient data", async () => {
    let status: SessionStatus = active();
    const { client } = renderApp({
      session_status: () => status,
      lock: () => (status = locked()),
      queue_list: () => ({ now: new Date().toISOString(), entries: [entry({ complaint: "胸闷三天" })], breached: 0 }),
    });
    expect(await screen.findByText("胸闷三天")).toBeInTheDocument();
    expect(client.getQueryData(["queue_list", null])).toBeDefined();
    await userEvent.click(screen.getByTestId("lock-button"));
    const lockScreen = await screen.findByTestId("lock-screen");
    expect(lockScreen).toHaveTextContent("演示医生 李");
    expect(screen.queryByText("胸闷三天")).not.toBeInTheDocument();
    expect(screen.queryByText("演**")).not.toBeInTheDocument();
    expect(client.getQueryCache().findAll().map((q) => q.queryKey[0])).not.toContain("queue_list");
  });

  it("a call answered `locked` (idle timeout in the core) switches to the lock screen", async () => {
    let status: SessionStatus = active();
    renderApp({
      session_status: () => status,
      queue_list: () => {
        status = locked();
        throw new BackendError("locked", "the workstation is locked");
      },
    });
    expect(await screen.findByTestId("lock-screen")).toBeInTheDocument();
  });

  it("unlocks with the password", async () => {
    let status: SessionStatus = locked();
    renderApp({
      session_status: () => status,
      unlock: (r) => {
        expect(r.password).toBe("pw-123");
        return (status = active());
      },
      queue_list: () => ({ now: new Date().toISOString(), entries: [], breached: 0 }),
    });
    await userEvent.type(await screen.findByLabelText("密码"), "pw-123{Enter}");
    await waitFor(() => expect(screen.queryByTestId("lock-screen")).not.toBeInTheDocument());
    expect(await screen.findByTestId("queue-screen")).toBeInTheDocument();
  });
});
