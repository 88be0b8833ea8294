/**
 * Top-level domains a hostname may end in. The check is what tells `files.contoso.com` from
 * `report.pdf` or `svchost.exe`. Country codes (ISO 3166 two-letter codes in the root zone), the
 * generic TLDs seen in practice, and names used inside companies (`corp`, `local`, `lan`, …),
 * which in EDR telemetry name the customer's own machines.
 */
const COUNTRY_CODES =
  "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz " +
  "ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm " +
  "fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is " +
  "it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm " +
  "mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr " +
  "ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th " +
  "tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";

const GENERIC =
  "com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat " +
  "app dev cloud online site tech store shop blog xyz top club live news email link page space " +
  "website digital network systems solutions services agency company group global world today " +
  "media studio design software security host hosting server support academy center health bank " +
  "insurance finance capital ventures consulting legal law tax money africa berlin london paris " +
  "tokyo nyc amsterdam wien swiss google microsoft apple amazon azure windows office";

const INTERNAL = "local localdomain internal intranet corp lan home arpa test example invalid";

/**
 * TLDs that are also common file extensions (`setup.py`, `README.md`, `run.sh`, `main.rs`): a
 * two-label name ending in one of these is a file, not a host. With three or more labels
 * (`cdn.example.io`) it is still read as a hostname.
 */
export const FILE_EXTENSION_TLDS: ReadonlySet<string> = new Set(
  "py md sh rs so cc pl pm ps cs rb ml ai sc zip mov ms am as gs do in is it me to tv ws la nu ac mk"
    .split(" ")
    .filter((s) => s.length > 0),
);

export const TLDS: ReadonlySet<string> = new Set(
  `${COUNTRY_CODES} ${GENERIC} ${INTERNAL}`.split(" ").filter((s) => s.length > 0),
);
