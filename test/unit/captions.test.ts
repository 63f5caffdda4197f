import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPTION_LIMITS, CaptionLanguage, isRightToLeft } from '../../contracts/captions.ts';
import { toWebVtt, type Cue } from '../../contracts/webvtt.ts';
import { cuePlainText, parseCaptions } from '../../workers/lib/captions.ts';
import { AppError } from '../../workers/lib/errors.ts';

const parse = (source: string, durationMs: number | null = null) => parseCaptions(source, { durationMs });
const vtt = (...lines: string[]) => ['WEBVTT', '', ...lines].join('\n');

/** What a refusal says: its catalog code and status, the line and reason details, its message. */
function refusal(source: string, durationMs: number | null = null) {
  try {
    parse(source, durationMs);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.code, status: error.status, ...error.details, message: error.message };
  }
  throw new Error('the file was accepted');
}

/** The sanitized text of a WebVTT file's one cue. */
const textOf = (payload: string) => parse(vtt('00:01.000 --> 00:02.000', payload))[0]?.text;

describe('WebVTT', () => {
  it('reads cues in Arabic and English after a BOM, with CRLF, identifiers, header text and comments', () => {
    const source = [
      '\uFEFFWEBVTT - الدرس الأول',
      'Kind: captions',
      '',
      'NOTE written by the instructor,',
      'over two lines',
      '',
      'intro',
      '00:01.000 --> 00:04.250',
      'مرحباً بكم في الدورة',
      '',
      '00:00:04.250 --> 01:02:03.004 align:start',
      '<v المدرّس>Welcome</v>',
      '<i>to the course</i>',
      '',
    ].join('\r\n');
    expect(parse(source)).toStrictEqual([
      { startMs: 1000, endMs: 4250, text: 'مرحباً بكم في الدورة' },
      { startMs: 4250, endMs: 3_723_004, text: '<v المدرّس>Welcome</v>\n<i>to the course</i>', settings: 'align:start' },
    ]);
  });

  it('reads CR line endings as well', () => {
    expect(parse('WEBVTT\r\r00:01.000 --> 00:02.000\rone\rtwo\r')).toStrictEqual([{ startMs: 1000, endMs: 2000, text: 'one\ntwo' }]);
  });

  it('drops STYLE and REGION blocks, whose CSS is not trusted, and the region a cue names', () => {
    const source = vtt('STYLE', '::cue { background: url(https://evil.example/x) }', '', 'REGION', 'id:r1 width:40%', '', '00:01.000 --> 00:02.000 region:r1', 'Hi');
    expect(parse(source)).toStrictEqual([{ startMs: 1000, endMs: 2000, text: 'Hi' }]);
  });

  it('keeps only the layout settings, and only in their valid forms', () => {
    const settings = 'align:start line:10% line:-1,end position:50%,line-left size:80% vertical:rl size:100% region:r1 foo:bar align:middle size:150% line:-5% position:x vertical:up';
    expect(parse(vtt(`00:01.000 --> 00:02.000 ${settings}`, 'Hi'))[0]?.settings).toBe('align:start line:10% line:-1,end position:50%,line-left size:80% vertical:rl size:100%');
  });

  it('drops cues with no text once sanitized, but not their neighbours', () => {
    const source = vtt('00:01.000 --> 00:02.000', '', '00:02.000 --> 00:03.000', '<script>alert(1)</script>', '', '00:03.000 --> 00:04.000', '<i> </i>&nbsp;', '', '00:04.000 --> 00:05.000', 'kept');
    expect(parse(source)).toStrictEqual([{ startMs: 4000, endMs: 5000, text: 'kept' }]);
  });
});

describe('SRT', () => {
  it('reads numbered cues in Arabic after a BOM, with CRLF, ignoring position coordinates', () => {
    const source = ['\uFEFF1', '00:00:01,000 --> 00:00:02,500 X1:100 X2:600 Y1:50 Y2:90', 'السلام عليكم', '', '2', '00:00:02,500 --> 00:00:04,000', 'و رحمة الله', 'second line', ''].join('\r\n');
    expect(parse(source)).toStrictEqual([
      { startMs: 1000, endMs: 2500, text: 'السلام عليكم' },
      { startMs: 2500, endMs: 4000, text: 'و رحمة الله\nsecond line' },
    ]);
  });

  it('tolerates cues without a counter', () => {
    expect(parse('00:00:01,000 --> 00:00:02,000\nHi\n\n00:00:03,000 --> 00:00:04,000\nBye')).toStrictEqual([
      { startMs: 1000, endMs: 2000, text: 'Hi' },
      { startMs: 3000, endMs: 4000, text: 'Bye' },
    ]);
  });

  it('keeps italic, bold and underline as WebVTT tags and drops font tags and ASS overrides', () => {
    const [cue] = parse('1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<font color="#ff0000"><I>مرحباً</I></font> <b>bold</b> <U>under</u>');
    expect(cue?.text).toBe('<i>مرحباً</i> <b>bold</b> <u>under</u>');
  });
});

describe('refusals', () => {
  const cases: [string, string, number | null, number, string, string][] = [
    ['text where a timing belongs (WebVTT)', vtt('Hello', 'world'), null, 4, 'timing', 'Line 4: expected a cue timing line such as 00:00:01.000 --> 00:00:04.000.'],
    ['a block of one line that is not a timing', vtt('00:01.000 --> 00:02.000', 'Hi', '', 'Hello'), null, 6, 'timing', 'Line 6: expected a cue timing line such as 00:00:01.000 --> 00:00:04.000.'],
    ['a counter without a timing (SRT)', '1\nHello', null, 2, 'timing', 'Line 2: expected a cue timing line such as 00:00:01,000 --> 00:00:04,000.'],
    ['a file that is neither format', 'WEBVTTX\n\n00:01.000 --> 00:02.000\nHi', null, 1, 'timing', 'Line 1: expected a cue timing line such as 00:00:01,000 --> 00:00:04,000.'],
    ['an arrow without spaces', vtt('00:01.000-->00:02.000', 'Hi'), null, 3, 'timing', 'Line 3: expected a cue timing line such as 00:00:01.000 --> 00:00:04.000.'],
    ['anything but coordinates after an SRT timing', '1\n00:00:01,000 --> 00:00:02,000 align:start\nHi', null, 2, 'timing', 'Line 2: expected a cue timing line such as 00:00:01,000 --> 00:00:04,000.'],
    ['60 minutes', vtt('00:60:00.000 --> 01:00:01.000', 'Hi'), null, 3, 'timestamp', 'Line 3: "00:60:00.000" is not a timestamp ([hh:]mm:ss.ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['60 seconds', vtt('00:01.000 --> 00:60.000', 'Hi'), null, 3, 'timestamp', 'Line 3: "00:60.000" is not a timestamp ([hh:]mm:ss.ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['milliseconds in 2 digits', vtt('00:01.00 --> 00:02.000', 'Hi'), null, 3, 'timestamp', 'Line 3: "00:01.00" is not a timestamp ([hh:]mm:ss.ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['hours in 1 digit', vtt('1:00:01.000 --> 1:00:02.000', 'Hi'), null, 3, 'timestamp', 'Line 3: "1:00:01.000" is not a timestamp ([hh:]mm:ss.ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['a comma in WebVTT', vtt('00:00:01,000 --> 00:00:02,000', 'Hi'), null, 3, 'timestamp', 'Line 3: "00:00:01,000" is not a timestamp ([hh:]mm:ss.ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['a dot in SRT', '1\n00:00:01,000 --> 00:00:02.000\nHi', null, 2, 'timestamp', 'Line 2: "00:00:02.000" is not a timestamp (hh:mm:ss,ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['no hours in SRT', '1\n00:01,000 --> 00:02,000\nHi', null, 2, 'timestamp', 'Line 2: "00:01,000" is not a timestamp (hh:mm:ss,ttt, minutes and seconds below 60, milliseconds in 3 digits).'],
    ['an end before the start', vtt('00:01.000 --> 00:02.000', 'a', '', '00:00:06.000 --> 00:00:05.000', 'b'), null, 6, 'end_before_start', 'Line 6: the cue ends (00:00:05.000) before it starts (00:00:06.000).'],
    ['an end at the start', '1\n00:00:01,000 --> 00:00:01,000\nHi', null, 2, 'end_before_start', 'Line 2: the cue ends (00:00:01,000) before it starts (00:00:01,000).'],
    ['a cue before the one above it', vtt('00:05.000 --> 00:06.000', 'a', '', 'b', '00:04.000 --> 00:07.000', 'b'), null, 7, 'out_of_order', 'Line 7: the cue starts (00:00:04.000) before the one above it (00:00:05.000): cues must be in order of their start.'],
    ['a cue past the video', vtt('00:01.000 --> 00:11.001', 'Hi'), 10_000, 3, 'past_duration', 'Line 3: the cue ends (00:00:11.001) after the video does (00:00:10.000).'],
    ['a timing in the text of a cue', vtt('00:01.000 --> 00:02.000', 'one', '00:02.000 --> 00:03.000', 'two'), null, 5, 'missing_blank_line', 'Line 5: a cue timing inside the text of the cue above: put a blank line before each cue.'],
    ['a timing in the header', 'WEBVTT\n00:01.000 --> 00:02.000\nHi', null, 2, 'header', 'Line 2: a blank line must come between the WEBVTT header and the first cue.'],
    ['a NUL character', vtt('00:01.000 --> 00:02.000', 'a\0b'), null, 4, 'nul_character', 'Line 4: the file holds a NUL character: it is not a text file.'],
    ['a file without cues', 'WEBVTT\n\nNOTE nothing yet\n', null, 1, 'no_cues', 'Line 1: the file has no cue with text.'],
    ['an empty file', '', null, 1, 'no_cues', 'Line 1: the file has no cue with text.'],
    ['a file whose cues are all empty', vtt('00:01.000 --> 00:02.000', '<img src=x>'), null, 1, 'no_cues', 'Line 1: the file has no cue with text.'],
  ];
  it.each(cases)('name the line: %s', (_, source, durationMs, line, reason, message) => {
    expect(refusal(source, durationMs)).toStrictEqual({ code: 'invalid_captions', status: 422, line, reason, message });
  });

  it('count lines the same with CRLF, CR and a BOM', () => {
    const lines = ['WEBVTT', '', '00:02.000 --> 00:03.000', 'a', '', '00:01.000 --> 00:04.000', 'b'];
    for (const source of [lines.join('\r\n'), `\uFEFF${lines.join('\r')}`]) expect(refusal(source)).toMatchObject({ line: 6, reason: 'out_of_order' });
  });

  it('allow a cue to end within the tolerance after the video, and no check without a duration', () => {
    const source = vtt('00:01.000 --> 00:11.000', 'Hi');
    expect(parse(source, 10_000)).toStrictEqual([{ startMs: 1000, endMs: 11_000, text: 'Hi' }]);
    expect(parse(vtt('99:00:00.000 --> 99:00:01.000', 'Hi'))).toStrictEqual([{ startMs: 356_400_000, endMs: 356_401_000, text: 'Hi' }]);
  });

  it('hold the limits: cues, characters of a cue, bytes of the file', () => {
    // Three lines a cue, without counters.
    const many = (count: number) => '00:00:01,000 --> 00:00:02,000\nx\n\n'.repeat(count);
    expect(parse(many(CAPTION_LIMITS.maxCues))).toHaveLength(CAPTION_LIMITS.maxCues);
    expect(refusal(many(CAPTION_LIMITS.maxCues + 1))).toMatchObject({
      line: 30_001,
      reason: 'too_many_cues',
      message: 'Line 30001: the file has more than 10000 cues, the most a track may have.',
    });

    expect(textOf('a'.repeat(CAPTION_LIMITS.maxCueChars))).toHaveLength(1000);
    expect(refusal(vtt('00:01.000 --> 00:02.000', 'a'.repeat(500), 'b'.repeat(500)))).toMatchObject({
      line: 4,
      reason: 'cue_too_long',
      message: "Line 4: the cue's text is 1001 characters long as WebVTT; the most is 1000.",
    });
    // Measured as stored: an escaped `&` is five characters.
    expect(refusal(vtt('00:01.000 --> 00:02.000', '&'.repeat(201)))).toMatchObject({ line: 4, reason: 'cue_too_long' });

    // 38 bytes before line 4, whose Arabic letters are two bytes each: 19 letters fewer is the limit to the byte.
    const large = vtt('00:00:00.000 --> 00:00:01.000', 'ب'.repeat(CAPTION_LIMITS.maxBytes / 2));
    expect(refusal(large)).toMatchObject({ line: 4, reason: 'too_large', message: 'Line 4: the file is larger than 2000000 bytes, the most a caption file may have.' });
    expect(refusal(large.slice(0, -19))).toMatchObject({ reason: 'cue_too_long' });
  });
});

describe('sanitized cue text', () => {
  const cases: [string, string][] = [
    ['<script>alert(1)</script>Hi', 'Hi'],
    ['Hi <SCRIPT src=x>alert(1)', 'Hi '],
    ['<style>::cue { color: red }</style>Hi', 'Hi'],
    ['one\n<script>\nalert(1)\n</script>\ntwo', 'one\ntwo'],
    ['<img src=x onerror=alert(1)>Hi', 'Hi'],
    ['<a href="javascript:alert(1)">click</a>', 'click'],
    ['<iframe src=//evil.example></iframe><svg/onload=alert(1)>Hi', 'Hi'],
    ['<c.x onclick=alert(1)>Hi</c>', '<c.x>Hi</c>'],
    ['<c.x.y"z..w-1.a--.b->Hi</c>', '<c.x.w-1>Hi</c>'],
    ['<I>Hi</I> <font color=red>there</font>', 'Hi there'],
    ['Tom & Jerry &amp; &copy; &#169; &#x41; &#0; &#x7f; &lt;&gt;&lrm;&rlm;&nbsp;&amp', 'Tom &amp; Jerry &amp; &amp;copy; &#169; &#x41; &amp;#0; &amp;#x7f; &lt;&gt;&lrm;&rlm;&nbsp;&amp;amp'],
    ['x < 5 > 3, I <3 it, </> <>', 'x &lt; 5 &gt; 3, I &lt;3 it, &lt;/&gt; &lt;&gt;'],
    ['A --> B', 'A --&gt; B'],
    ['<i>open <b>bold', '<i>open <b>bold</b></i>'],
    ['</b>stray</i> <i><b>mis</i>nested</b>', 'stray <i><b>misnested</b></i>'],
    ['<v Tom & "Jerry"  >Hi</v>', '<v Tom &amp; "Jerry">Hi</v>'],
    ['<v>nobody</v> <v.loud Bob-->Hi', 'nobody <v.loud Bob-&#45;>Hi</v>'],
    ['<lang ar>مرحباً</lang> <lang x"y>z</lang>', '<lang ar>مرحباً</lang> z'],
    ['<ruby>漢<rt>kan</ruby> <rt>alone</rt>', '<ruby>漢<rt>kan</rt></ruby> alone'],
    ['a <00:00:01.500>b <01.500>c <99:99.000>d', 'a <00:00:01.500>b &lt;01.500&gt;c &lt;99:99.000&gt;d'],
    ['a\u0007b\tc\u001bd', 'ab\tcd'],
  ];
  it.each(cases)('%j becomes %j', (payload, text) => {
    expect(textOf(payload)).toBe(text);
  });

  /** WebVTT cue text as this parser writes it: its tags, timestamps and entities, and text without `<`, `>` or a bare `&`. */
  const CUE_TEXT = /^(?:<(?:c|i|b|u|ruby|rt)(?:\.[\w-]*\w)*>|<(?:v|lang)(?:\.[\w-]*\w)* [^<>\n]+>|<\/(?:c|i|b|u|ruby|rt|v|lang)>|<(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}>|&(?:amp|lt|gt|lrm|rlm|nbsp|#\d+|#x[\dA-Fa-f]+);|[^<>&])*$/;
  const hostile = fc
    .array(fc.constantFrom('<', '>', '&', '/', '.', ' ', '\n', '-', '--', 'i', 'b', 'c', 'v ', 'lang ', 'ar', 'rt', 'ruby', 'script', 'img', '"', 'amp;', '#', 'x', '0', ':', '00:01.000', 'ب', '\u0007'), { maxLength: 40 })
    // Without blank lines, which end a cue.
    .map((parts) => parts.join('').split('\n').filter((line) => line.trim() !== '').join('\n'));
  it('is WebVTT markup that reads back the same, whatever the input', () => {
    fc.assert(
      fc.property(hostile, (payload) => {
        let cues: Cue[];
        try {
          cues = parse(vtt('00:01.000 --> 00:02.000', payload));
        } catch (error) {
          // A payload with only markup, or one that spells a timing, is refused; nothing else is.
          expect((error as AppError).details?.reason).toMatch(/^(no_cues|missing_blank_line)$/);
          return;
        }
        for (const { text } of cues) {
          expect(text).toMatch(CUE_TEXT);
          expect(text).not.toContain('-->');
          expect(text.split('\n').every((line) => line.trim() !== '')).toBe(true);
        }
        expect(parse(toWebVtt(cues))).toStrictEqual(cues);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('toWebVtt', () => {
  const cues: Cue[] = [
    { startMs: 0, endMs: 1500, text: '<v.loud المدرّس>مرحباً &amp; أهلاً</v>', settings: 'align:start line:10%' },
    { startMs: 3_723_004, endMs: 363_599_999, text: 'one\ntwo' },
  ];
  it('writes a WebVTT file with hours in every timestamp', () => {
    expect(toWebVtt(cues)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.500 align:start line:10%\n<v.loud المدرّس>مرحباً &amp; أهلاً</v>\n\n01:02:03.004 --> 100:59:59.999\none\ntwo\n');
  });

  it('round-trips what the parser made, from either format', () => {
    expect(parse(toWebVtt(cues))).toStrictEqual(cues);
    const fromSrt = parse('1\r\n00:00:01,000 --> 00:00:02,000\r\n{\\an8}<I>x < y & z</I>\r\nA --> B\r\n');
    expect(fromSrt).toStrictEqual([{ startMs: 1000, endMs: 2000, text: '<i>x &lt; y &amp; z</i>\nA --&gt; B' }]);
    expect(toWebVtt(parse(toWebVtt(fromSrt)))).toBe(toWebVtt(fromSrt));
  });
});

describe('cuePlainText', () => {
  it('is the words without markup, entities decoded once, lines joined by a space', () => {
    expect(cuePlainText('<v.loud Tom &amp; co>Tom &amp; Jerry &lt;3</v>\n<i>second</i> &lrm;line&nbsp;&#x41;&#169; &amp;lt; &amp;#0;')).toBe(
      'Tom & Jerry <3 second \u200Eline\u00A0A© &lt; &#0;',
    );
    expect(cuePlainText('<ruby>漢<rt>kan</rt></ruby> <00:00:01.500>مرحباً')).toBe('漢kan مرحباً');
  });
});

describe('caption languages', () => {
  it('are BCP 47 tags, pragmatically', () => {
    for (const tag of ['en', 'ar', 'ar-SA', 'zh-Hant', 'pt-BR', 'ckb', 'sr-Latn-RS']) expect(CaptionLanguage.safeParse(tag).success, tag).toBe(true);
    for (const tag of ['', 'EN', 'e', 'english', 'ar_SA', 'ar-', 'ar-S', `en-${'a'.repeat(9)}`, `en${'-abcdefgh'.repeat(4)}`]) expect(CaptionLanguage.safeParse(tag).success, tag).toBe(false);
  });

  it('read right to left by language, or by script when a tag names one', () => {
    expect(['ar', 'ar-SA', 'he', 'fa-IR', 'ur', 'ckb', 'az-Arab', 'pa-Arab-PK', 'dv'].map(isRightToLeft)).toStrictEqual(Array(9).fill(true));
    expect(['en', 'en-US', 'zh-Hant', 'ar-Latn', 'tr', 'arn', 'sdh'].map(isRightToLeft)).toStrictEqual(Array(7).fill(false));
  });
});

describe('cue markup with timestamps', () => {
  it('keeps the cue tags and timestamps WebVTT allows and escapes the rest', () => {
    const [cue] = parseCaptions('WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome <00:00:02.000>to the <b>intro</b> <span>x</span> a < b\n', { durationMs: null });
    expect(cue?.text).toBe('Welcome <00:00:02.000>to the <b>intro</b> x a &lt; b');
  });
});
