import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AppShell } from "../../app/AppShell";
import { Providers } from "../../app/Providers";
import type { HomeSummary, QueueEntry } from "../../backend";
import { fakeBackend } from "../../../tests/fakeBackend";

const now = Date.now();
const entry = (over: Partial<QueueEntry>): QueueEntry => ({
  id: crypto.randomUUID(),
  patient: { masked_name: "演**", age_years: 30, sex: "female" },
  channel: "text",
  priority: "normal",
  route: { kind: "general" },
  complaint: "咽痛",
  arrived_at: new Date(now - 60_000).toISOString(),
  respond_by: new Date(now + 29 * 60_000).toISOString(),
  seconds_left: 29 * 60,
  ...over,
});

const summary: HomeSummary = {
  profile: "demo",
  now: new Date(now).toISOString(),
  breached: 1,
  queue: [
    entry({ priority: "emergency", complaint: "胸闷", route: { kind: "emergency" } }),
    entry({
      priority: "normal",
      complaint: "高血压复诊",
      route: { kind: "specialist", specialty: "cardiology" },
      respond_by: new Date(now - 5 * 60_000).toISOString(),
    }),
  ],
};

function renderApp() {
  const backend = fakeBackend({
    app_info: () => ({ name: "MedDesk", version: "0.1.0", profile: "demo" }),
    home_summary: () => summary,
  });
  render(
    <Providers backend={backend}>
      <AppShell />
    </Providers>,
  );
  return backend;
}

describe("home screen", () => {
  it("shows the queue in Chinese by default with priority, route and an overdue clock", async () => {
    renderApp();
    const home = await screen.findByTestId("home-screen");
    expect(within(home).getByText("接诊队列")).toBeInTheDocument();
    expect(within(home).getByText("待接诊 2 人，其中 1 人已超时")).toBeInTheDocument();
    expect(within(home).getByText("急诊")).toBeInTheDocument();
    expect(within(home).getByText("专科：心血管内科")).toBeInTheDocument();
    expect(within(home).getByTestId("breached")).toHaveTextContent(/已超时 0[45]:\d\d/);
    expect(await screen.findByTestId("demo-badge")).toHaveTextContent("演示数据");
  });

  it("switches to English at runtime", async () => {
    renderApp();
    await screen.findByTestId("home-screen");
    await userEvent.click(screen.getByText("English"));
    expect(await screen.findByText("Intake queue")).toBeInTheDocument();
    expect(screen.getByText("Specialist: Cardiology")).toBeInTheDocument();
    expect(screen.getByTestId("demo-badge")).toHaveTextContent("Demo data");
  });
});
