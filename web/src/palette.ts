// Colours: the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies)
// for country statuses; geofences in red (deny) and green (allow-list) with different line
// styles so that they differ by more than hue.

export type RGBA = [number, number, number, number];

export const STATUS_ORDER = [
  "available",
  "waitlist",
  "coming_soon",
  "service_date_unknown",
  "blocked",
  "unknown",
] as const;

export const STATUS_LABEL: Record<string, string> = {
  available: "Available",
  waitlist: "Waitlist",
  coming_soon: "Coming soon",
  service_date_unknown: "Service date unknown",
  blocked: "Blocked",
  unknown: "No status",
};

export const STATUS_HEX: Record<string, string> = {
  available: "#0072B2",
  waitlist: "#56B4E9",
  coming_soon: "#F0E442",
  service_date_unknown: "#E69F00",
  blocked: "#CC79A7",
  unknown: "#5B6472",
};

export const OCEAN_HEX = "#0B1526";
export const BORDER_HEX = "#C9D3DF";
export const DENY_HEX = "#FF3B30";
export const ALLOW_HEX = "#00D08A";
/** The outline of a geofence that is a reconstruction of the past (recorded after its window). */
export const RECONSTRUCTION_HEX = "#C792EA";
export const SATELLITE_RGBA: RGBA = [255, 255, 255, 215];

export function hexToRgba(hex: string, alpha = 255): RGBA {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255, alpha];
}

export function statusKey(status: string | null | undefined): string {
  return status && status in STATUS_HEX ? status : "unknown";
}

/** Decision codes in plain words (the codes are those Starlink terminals report). */
export const CODE_TEXT: Record<string, string> = {
  OKAY: "Service available",
  NO_ACTIVE_ACCOUNT: "No active account",
  ACCOUNT_DISABLED: "Account disabled",
  UNKNOWN_LOCATION: "Location unknown",
  IN_OCEAN: "At sea: no land service here",
  BLOCKED_COUNTRY: "Blocked country",
  UNLICENSED_COUNTRY: "Not licensed in this country",
  CELL_IS_DISABLED: "This cell is switched off",
  BLOCKED_AREA: "Area switched off by a geofence",
  ROAM_RESTRICTED: "Roaming not allowed here",
  NO_SATELLITE_IN_VIEW: "No satellite in view",
};
