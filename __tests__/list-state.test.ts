import { LIST_STATE_PARAMS, listParamsFrom, listStateQuery, listUrl, MAX_SEARCH_LENGTH, SORT_PARAMS, withListState } from "../lib/list-state.js";

/** lib/list-state.ts: the one place that reads the list's URL state from a query and writes it into links. */

const first = { offset: 0, limit: 50, orderBy: "updated_at", descending: true, search: "" } as const;

describe("listParamsFrom()", () => {
  it("asks for the first window, newest first, when the query says nothing", () => {
    expect(listParamsFrom({}, 50)).toEqual({ query: first, cursor: undefined });
  });

  it.each([
    ["a negative offset", { offset: "-1" }, { query: first, cursor: undefined }],
    ["an offset in exponent form", { offset: "1e3" }, { query: first, cursor: undefined }],
    ["a repeated offset", { offset: ["5", "6"] }, { query: first, cursor: undefined }],
    ["an unknown sort", { sort: "bogus" }, { query: first, cursor: undefined }],
    ["a sort inherited from Object.prototype", { sort: "toString" }, { query: first, cursor: undefined }],
    ["an unknown dir", { dir: "sideways" }, { query: first, cursor: undefined }],
    ["a cursor that is not a number", { cursor: "x" }, { query: first, cursor: undefined }],
  ])("falls back to the default for %s", (_case, source, expected) => {
    expect(listParamsFrom(source, 50)).toEqual(expected);
  });

  it("reads every parameter it writes", () => {
    expect(listParamsFrom({ offset: "100", sort: "label", dir: "desc", q: " lec ", cursor: "103" }, 25)).toEqual({
      query: { offset: 100, limit: 25, orderBy: "label", descending: true, search: "lec" },
      cursor: 103,
    });
  });

  it("sorts labels and steps A to Z and times newest first unless dir says otherwise", () => {
    expect(listParamsFrom({ sort: "label" }, 50).query.descending).toBe(false);
    expect(listParamsFrom({ sort: "step" }, 50).query.descending).toBe(false);
    expect(listParamsFrom({ sort: "created" }, 50).query.descending).toBe(true);
    expect(listParamsFrom({ sort: "created", dir: "asc" }, 50).query.descending).toBe(false);
  });

  it("strips control characters from the search and cuts it to MAX_SEARCH_LENGTH characters (not UTF-16 units)", () => {
    expect(listParamsFrom({ q: "a\u0000b\u2028c" }, 50).query.search).toBe("abc");
    const long = "😀".repeat(MAX_SEARCH_LENGTH + 5);
    expect([...listParamsFrom({ q: long }, 50).query.search]).toHaveLength(MAX_SEARCH_LENGTH);
  });
});

describe("listStateQuery()", () => {
  it("leaves out every default, so the first window newest first is the bare URL", () => {
    expect(listStateQuery(first)).toBe("");
  });

  it("writes sort and dir together, then q and offset", () => {
    expect(listStateQuery({ orderBy: "label", descending: false, search: "lec", offset: 50 })).toBe("sort=label&dir=asc&q=lec&offset=50");
  });

  it("writes the order even when it is the default, with explicitOrder", () => {
    expect(listStateQuery(first, { explicitOrder: true })).toBe("sort=updated&dir=desc");
  });

  it.each(Object.entries(SORT_PARAMS))("round-trips through listParamsFrom() for sort=%s", (_param, orderBy) => {
    for (const descending of [true, false]) {
      const query = { offset: 150, limit: 50, orderBy, descending, search: "a&b=c ü" };
      expect(listParamsFrom(Object.fromEntries(new URLSearchParams(listStateQuery(query))), 50).query).toEqual(query);
    }
  });

  it("uses the parameter names of LIST_STATE_PARAMS", () => {
    const names = [...new URLSearchParams(listStateQuery({ orderBy: "label", descending: true, search: "x", offset: 1 })).keys()];
    expect(names).toEqual([LIST_STATE_PARAMS.sort, LIST_STATE_PARAMS.dir, LIST_STATE_PARAMS.search, LIST_STATE_PARAMS.offset]);
  });
});

describe("listUrl()", () => {
  it("is the base with the order always explicit", () => {
    expect(listUrl("/m/list", { orderBy: "updated_at", descending: true, search: "" })).toBe("/m/list?sort=updated&dir=desc");
  });
});

describe("withListState()", () => {
  it("is the bare base for the default state and no extras", () => {
    expect(withListState("/m", "")).toBe("/m");
  });

  it("appends the extras after the state, encoded", () => {
    expect(withListState("/m", "sort=label&dir=asc", { rename: "a b&c" })).toBe("/m?sort=label&dir=asc&rename=a%20b%26c");
    expect(withListState("/m", "", { delete: "x/y" })).toBe("/m?delete=x%2Fy");
  });
});
