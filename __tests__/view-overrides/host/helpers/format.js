// Sub-folders are ignored by loadViewOverrides(), so helpers can live here.
export const shout = (text) => text.toUpperCase();
