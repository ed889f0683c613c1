import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ConsultationRecord, RecordSaveRequest } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { checkOf, consultation } from "../../../tests/fixtures";
import { ConsultationScreen } from "./ConsultationScreen";

describe("the record form", () => {
  it("keeps 'not asked' as not asked when the core sends absent lists as null (never 'no known allergies')", async () => {
    const saves: RecordSaveRequest[] = [];
    // As the core's JSON has it: absent optional facts are null.
    const record = {
      ...consultation().record,
      allergies: null,
      clinical: { conditions: [], current_medications: null, pregnant: null, lactating: null },
    } as unknown as ConsultationRecord;
    const backend = fakeBackend({
      consultation_get: () => consultation({ record }),
      template_list: () => ({ templates: [] }),
      rx_check: () => checkOf([]),
      record_save: (r) => {
        saves.push(r);
        return consultation({ record: r.record });
      },
    });
    render(
      <Providers backend={backend} client={newQueryClient()}>
        <ConsultationScreen consultationId="c-1" onOpen={() => {}} onClose={() => {}} />
      </Providers>,
    );
    await userEvent.type(await screen.findByLabelText("现病史"), "咳嗽");
    await userEvent.click(screen.getByTestId("record-save"));
    await vi.waitFor(() => expect(saves).toHaveLength(1));
    const saved = saves[0]!.record;
    expect(saved.history).toBe("咳嗽");
    expect(saved.allergies).toBeUndefined();
    expect(saved.clinical.current_medications).toBeUndefined();
    expect(saved.clinical.pregnant).toBeUndefined();
    expect(saved.clinical.lactating).toBeUndefined();
  });
});
