import { computeQuantity } from "./quantity";

describe("computeQuantity", () => {
  it("multiplies dose, daily count and days for counted units", () => {
    expect(computeQuantity(1, "capsule", "TID", 7)).toBe(21);
    expect(computeQuantity(2, "tablet", "Q12H", 5)).toBe(20);
    expect(computeQuantity(0.5, "tablet", "TID", 7)).toBe(11);
    expect(computeQuantity(1, "tablet", "QW", 14)).toBe(2);
  });
  it("does not compute for amounts, PRN or missing fields", () => {
    expect(computeQuantity(500, "mg", "TID", 7)).toBeNull();
    expect(computeQuantity(1, "tablet", "PRN", 7)).toBeNull();
    expect(computeQuantity(1, "tablet", "TID", null)).toBeNull();
    expect(computeQuantity(2, "tablet", "ONCE", null)).toBe(2);
  });
});
