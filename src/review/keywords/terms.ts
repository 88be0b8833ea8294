/**
 * The words a detection rule or signature has no business looking for in customers' files:
 * classification markings, handling caveats, and the names of state and military bodies, in
 * several languages. One list for every review (YARA rules, ClamAV signatures). Each term carries
 * a base level (3 high, 2 medium, 1 low) and whether it only counts when written in capitals
 * (`cs`): "SECRET" on a document is a marking, "master secret" in a TLS library is not.
 */

export interface Term {
  text: string;
  level: 1 | 2 | 3;
  /** Counts fully only when written in capitals; folded matches (nocase) count one level lower. */
  cs: boolean;
  what: "classification marking" | "handling caveat" | "state or military body";
}

const M = "classification marking" as const;
const C = "handling caveat" as const;
const B = "state or military body" as const;

export const TERMS: Term[] = [
  // English
  { text: "TOP SECRET", level: 3, cs: false, what: M },
  { text: "SECRET//", level: 3, cs: false, what: M },
  { text: "TS//SCI", level: 3, cs: false, what: M },
  { text: "NOFORN", level: 3, cs: false, what: C },
  { text: "ORCON", level: 3, cs: true, what: C },
  { text: "FOR OFFICIAL USE ONLY", level: 3, cs: false, what: C },
  { text: "FOUO", level: 3, cs: true, what: C },
  { text: "EYES ONLY", level: 3, cs: false, what: C },
  { text: "FIVE EYES", level: 2, cs: false, what: C },
  { text: "FVEY", level: 3, cs: true, what: C },
  { text: "REL TO USA", level: 3, cs: false, what: C },
  { text: "LIMDIS", level: 3, cs: true, what: C },
  { text: "NOCONTRACT", level: 3, cs: true, what: C },
  { text: "OFFICIAL-SENSITIVE", level: 3, cs: false, what: M },
  { text: "OFFICIAL SENSITIVE", level: 3, cs: false, what: M },
  { text: "CONTROLLED UNCLASSIFIED", level: 3, cs: false, what: M },
  { text: "CUI//", level: 3, cs: false, what: M },
  { text: "SENSITIVE BUT UNCLASSIFIED", level: 3, cs: false, what: M },
  { text: "LAW ENFORCEMENT SENSITIVE", level: 3, cs: false, what: C },
  { text: "COSMIC TOP SECRET", level: 3, cs: false, what: M },
  { text: "NATO SECRET", level: 3, cs: false, what: M },
  { text: "NATO CONFIDENTIAL", level: 3, cs: false, what: M },
  { text: "NATO RESTRICTED", level: 3, cs: false, what: M },
  { text: "NATO UNCLASSIFIED", level: 3, cs: false, what: M },
  { text: "SECRET", level: 2, cs: true, what: M },
  { text: "CONFIDENTIAL", level: 2, cs: true, what: M },
  { text: "RESTRICTED", level: 2, cs: true, what: M },
  { text: "CLASSIFIED", level: 2, cs: true, what: M },
  { text: "UNCLASSIFIED", level: 2, cs: true, what: M },
  { text: "MINISTRY OF DEFENCE", level: 3, cs: false, what: B },
  { text: "MINISTRY OF DEFENSE", level: 3, cs: false, what: B },
  { text: "DEPARTMENT OF DEFENSE", level: 3, cs: false, what: B },
  { text: "NATIONAL SECURITY AGENCY", level: 3, cs: false, what: B },
  { text: "GCHQ", level: 2, cs: true, what: B },
  { text: "NATO", level: 2, cs: true, what: B },
  { text: "NSA", level: 1, cs: true, what: B },
  { text: "DGSE", level: 1, cs: true, what: B },
  { text: "BUNDESWEHR", level: 2, cs: false, what: B },
  // German
  { text: "VS-NUR FÜR DEN DIENSTGEBRAUCH", level: 3, cs: false, what: M },
  { text: "NUR FÜR DEN DIENSTGEBRAUCH", level: 3, cs: false, what: M },
  { text: "NUR FUER DEN DIENSTGEBRAUCH", level: 3, cs: false, what: M },
  { text: "VS-NFD", level: 3, cs: false, what: M },
  { text: "VS-VERTRAULICH", level: 3, cs: false, what: M },
  { text: "STRENG GEHEIM", level: 3, cs: false, what: M },
  { text: "VERSCHLUSSSACHE", level: 3, cs: false, what: M },
  { text: "GEHEIM", level: 2, cs: true, what: M },
  { text: "BUNDESMINISTERIUM DER VERTEIDIGUNG", level: 3, cs: false, what: B },
  // French
  { text: "TRÈS SECRET", level: 3, cs: false, what: M },
  { text: "SECRET DÉFENSE", level: 3, cs: false, what: M },
  { text: "CONFIDENTIEL DÉFENSE", level: 3, cs: false, what: M },
  { text: "DIFFUSION RESTREINTE", level: 3, cs: false, what: M },
  { text: "SPÉCIAL FRANCE", level: 3, cs: false, what: C },
  { text: "MINISTÈRE DES ARMÉES", level: 3, cs: false, what: B },
  { text: "MINISTÈRE DE LA DÉFENSE", level: 3, cs: false, what: B },
  // Spanish
  { text: "ALTO SECRETO", level: 3, cs: false, what: M },
  { text: "DIFUSIÓN LIMITADA", level: 3, cs: false, what: M },
  { text: "SECRETO", level: 2, cs: true, what: M },
  { text: "CONFIDENCIAL", level: 2, cs: true, what: M },
  { text: "MINISTERIO DE DEFENSA", level: 3, cs: false, what: B },
  // Italian
  { text: "SEGRETISSIMO", level: 3, cs: false, what: M },
  { text: "RISERVATISSIMO", level: 3, cs: false, what: M },
  { text: "SEGRETO", level: 2, cs: true, what: M },
  { text: "RISERVATO", level: 2, cs: true, what: M },
  { text: "MINISTERO DELLA DIFESA", level: 3, cs: false, what: B },
  // Polish
  { text: "ŚCIŚLE TAJNE", level: 3, cs: false, what: M },
  { text: "TAJNE", level: 2, cs: true, what: M },
  { text: "POUFNE", level: 2, cs: true, what: M },
  { text: "ZASTRZEŻONE", level: 2, cs: true, what: M },
  { text: "MINISTERSTWO OBRONY NARODOWEJ", level: 3, cs: false, what: B },
  // Dutch
  { text: "STAATSGEHEIM", level: 3, cs: false, what: M },
  { text: "DEPARTEMENTAAL VERTROUWELIJK", level: 3, cs: false, what: M },
  // Russian, Ukrainian
  { text: "СОВЕРШЕННО СЕКРЕТНО", level: 3, cs: false, what: M },
  { text: "ОСОБОЙ ВАЖНОСТИ", level: 3, cs: false, what: M },
  { text: "ДЛЯ СЛУЖЕБНОГО ПОЛЬЗОВАНИЯ", level: 3, cs: false, what: C },
  { text: "СЕКРЕТНО", level: 2, cs: true, what: M },
  { text: "ДСП", level: 2, cs: true, what: C },
  { text: "МИНИСТЕРСТВО ОБОРОНЫ", level: 3, cs: false, what: B },
  { text: "ЦІЛКОМ ТАЄМНО", level: 3, cs: false, what: M },
  { text: "ТАЄМНО", level: 2, cs: true, what: M },
  // Chinese, Japanese, Korean
  { text: "绝密", level: 3, cs: false, what: M },
  { text: "絕密", level: 3, cs: false, what: M },
  { text: "国家秘密", level: 3, cs: false, what: M },
  { text: "机密", level: 2, cs: false, what: M },
  { text: "機密", level: 2, cs: false, what: M },
  { text: "秘密", level: 1, cs: false, what: M },
  { text: "極秘", level: 3, cs: false, what: M },
  { text: "部外秘", level: 3, cs: false, what: M },
  { text: "取扱注意", level: 2, cs: false, what: C },
  { text: "극비", level: 3, cs: false, what: M },
  { text: "대외비", level: 3, cs: false, what: M },
  { text: "비밀", level: 1, cs: false, what: M },
  // Arabic, Hebrew
  { text: "سري للغاية", level: 3, cs: false, what: M },
  { text: "סודי ביותר", level: 3, cs: false, what: M },
];

/** Legacy double-byte encodings of the CJK terms (hex), computed with Python's codecs. */
export const CJK_LEGACY: Record<string, string[]> = {
  绝密: ["bef8c3dc"],
  絕密: ["bd5ec3dc", "b5b4b14b"],
  国家秘密: ["b9fabcd2c3d8c3dc"],
  机密: ["bbfac3dc", "c9f3b14b", "8af796a7", "cff5dacb"],
  機密: ["9943c3dc", "bef7b14b", "8b4096a7", "d1a6dacb"],
  秘密: ["c3d8c3dc", "afb5b14b", "94e996a7", "ddfadacb"],
  極秘: ["984fc3d8", "b7a5afb5", "8bc994e9", "d0bfddfa"],
  部外秘: ["b2bfcde2c3d8", "b3a1a57eafb5", "95948a4f94e9", "ddbbe8e2ddfa"],
  取扱注意: ["c8a19251d7a2d2e2", "a8facaedaa60b74e", "8ee688b5928d88d3", "f6a2d0e2f1bcebf2"],
  극비: ["b1d8baf1"],
  대외비: ["b4ebbfdcbaf1"],
  비밀: ["baf1b9d0"],
};
