import { describe, expect, it } from 'vitest';
import { ladderFor, type SourceVideo } from '../../transcoder/src/ladder.ts';
import { avcCodec, masterPlaylist, measuredBandwidth, mediaPlaylist, mediaPlaylistFiles } from '../../transcoder/src/playlists.ts';
import { storyboardFor, storyboardVtt } from '../../transcoder/src/storyboard.ts';

const aacStereo = { codec: 'aac', profile: 'LC', channels: 2, sampleRate: 48_000 };
const source = (overrides: Partial<SourceVideo>): SourceVideo => ({
  width: 1920,
  height: 1080,
  fps: 30,
  durationSeconds: 60,
  bitrate: undefined,
  audio: aacStereo,
  ...overrides,
});
const sizes = (video: SourceVideo) => ladderFor(video).renditions.map(({ name, width, height }) => `${name} ${width}x${height}`);

describe('ladderFor', () => {
  it('gives a 1080p source the full ladder, bitrates from bits per pixel × fps', () => {
    expect(ladderFor(source({}))).toEqual({
      renditions: [
        { name: '1080p', width: 1920, height: 1080, bitrate: 4_976_640 },
        { name: '720p', width: 1280, height: 720, bitrate: 2_764_800 },
        { name: '480p', width: 854, height: 480, bitrate: 1_352_736 },
        { name: '360p', width: 640, height: 360, bitrate: 829_440 },
      ],
      audio: 'copy',
    });
  });

  it('never upscales: a 720p source gets 720p, 480p and 360p', () => {
    expect(sizes(source({ width: 1280, height: 720 }))).toEqual(['720p 1280x720', '480p 854x480', '360p 640x360']);
  });

  it('gives a 640x360 source only 360p', () => {
    expect(sizes(source({ width: 640, height: 360 }))).toEqual(['360p 640x360']);
  });

  it('keeps a source smaller than 360p at its own size (even dimensions)', () => {
    expect(sizes(source({ width: 427, height: 241 }))).toEqual(['240p 426x240']);
  });

  it('applies the ladder to the short side of a portrait source, which stays portrait', () => {
    expect(sizes(source({ width: 1080, height: 1920 }))).toEqual(['1080p 1080x1920', '720p 720x1280', '480p 480x854', '360p 360x640']);
  });

  it('keeps the aspect ratio of odd sizes with even dimensions', () => {
    expect(sizes(source({ width: 1001, height: 563 }))).toEqual(['480p 854x480', '360p 640x360']);
    expect(sizes(source({ width: 1440, height: 1080 }))).toEqual(['1080p 1440x1080', '720p 960x720', '480p 640x480', '360p 480x360']);
    expect(sizes(source({ width: 2560, height: 1081 }))).toEqual(['1080p 2558x1080', '720p 1706x720', '480p 1136x480', '360p 852x360']);
  });

  it('scales bitrates with the frame rate', () => {
    const at60 = ladderFor(source({ fps: 60 })).renditions.map((r) => r.bitrate);
    const at30 = ladderFor(source({ fps: 30 })).renditions.map((r) => r.bitrate);
    expect(at60).toEqual(at30.map((bitrate) => bitrate * 2));
  });

  it('caps every rendition at the source’s own bitrate', () => {
    const renditions = ladderFor(source({ bitrate: 2_000_000 })).renditions;
    expect(renditions.map((r) => r.bitrate)).toEqual([2_000_000, 2_000_000, 1_352_736, 829_440]);
  });

  it('copies AAC-LC stereo up to 48 kHz and re-encodes any other sound', () => {
    expect(ladderFor(source({})).audio).toBe('copy');
    expect(ladderFor(source({ audio: { ...aacStereo, sampleRate: 44_100 } })).audio).toBe('copy');
    expect(ladderFor(source({ audio: { ...aacStereo, sampleRate: 96_000 } })).audio).toBe('encode');
    expect(ladderFor(source({ audio: { ...aacStereo, channels: 1 } })).audio).toBe('encode');
    expect(ladderFor(source({ audio: { ...aacStereo, channels: 6 } })).audio).toBe('encode');
    expect(ladderFor(source({ audio: { ...aacStereo, profile: 'HE-AAC' } })).audio).toBe('encode');
    expect(ladderFor(source({ audio: { codec: 'mp3', profile: undefined, channels: 2, sampleRate: 44_100 } })).audio).toBe('encode');
    expect(ladderFor(source({ audio: undefined })).audio).toBeUndefined();
  });
});

describe('storyboard', () => {
  it('takes a thumbnail every 2 s for short videos, in rows of ten', () => {
    expect(storyboardFor({ width: 1280, height: 720, durationSeconds: 25 })).toEqual({ intervalSeconds: 2, count: 13, columns: 10, rows: 2, tileWidth: 160, tileHeight: 90 });
  });

  it('spaces thumbnails out so a long video has at most a hundred', () => {
    expect(storyboardFor({ width: 1080, height: 1920, durationSeconds: 3600 })).toMatchObject({ intervalSeconds: 36, count: 100, rows: 10, tileWidth: 90, tileHeight: 160 });
  });

  it('indexes the tiles in WebVTT, the last cue ending with the video', () => {
    const storyboard = storyboardFor({ width: 1280, height: 720, durationSeconds: 25 });
    const cues = storyboardVtt(storyboard, 'storyboard.jpg', 25).split('\n\n');
    expect(cues[0]).toBe('WEBVTT');
    expect(cues[1]).toBe('00:00:00.000 --> 00:00:02.000\nstoryboard.jpg#xywh=0,0,160,90');
    expect(cues[11]).toBe('00:00:20.000 --> 00:00:22.000\nstoryboard.jpg#xywh=0,90,160,90');
    expect(cues[13]).toBe('00:00:24.000 --> 00:00:25.000\nstoryboard.jpg#xywh=320,90,160,90\n');
  });
});

describe('playlists', () => {
  const media = [
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:4',
    '#EXT-X-MAP:URI="init_0.mp4"',
    '#EXTINF:4.000000,',
    'segment_00000.m4s',
    '#EXTINF:1.500000,',
    'segment_00001.m4s',
    '#EXT-X-ENDLIST',
  ].join('\n');

  it('reads the init segment and the segments of a media playlist', () => {
    expect(mediaPlaylistFiles(media)).toEqual({
      init: 'init_0.mp4',
      segments: [
        { uri: 'segment_00000.m4s', durationSeconds: 4 },
        { uri: 'segment_00001.m4s', durationSeconds: 1.5 },
      ],
    });
  });

  it('measures BANDWIDTH as the peak segment bit rate and AVERAGE-BANDWIDTH over the whole stream', () => {
    expect(measuredBandwidth([{ bytes: 1_000_000, durationSeconds: 4 }, { bytes: 500_000, durationSeconds: 1.5 }])).toEqual({
      bandwidth: 2_666_667,
      averageBandwidth: 2_181_819,
    });
  });

  it('names the H.264 profile and level from the avcC box', () => {
    const init = Buffer.concat([Buffer.from('....moov....avcC'), Buffer.from([0x01, 0x64, 0x00, 0x28, 0xff])]);
    expect(avcCodec(init)).toBe('avc1.640028');
    expect(() => avcCodec(Buffer.from('no codec here'))).toThrow(/avcC/);
  });

  it('writes every variant with BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION and CODECS, sharing one audio rendition', () => {
    const master = masterPlaylist(
      [
        { playlist: '720p/index.m3u8', width: 1280, height: 720, bandwidth: 3_000_000, averageBandwidth: 2_800_000, codecs: 'avc1.64001f,mp4a.40.2' },
        { playlist: '360p/index.m3u8', width: 640, height: 360, bandwidth: 900_000, averageBandwidth: 850_000, codecs: 'avc1.64001e,mp4a.40.2' },
      ],
      'audio/index.m3u8',
    );
    expect(master).toBe(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n' +
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"\n' +
        '#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio"\n720p/index.m3u8\n' +
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=850000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio"\n360p/index.m3u8\n',
    );
    expect(masterPlaylist([{ playlist: '360p/index.m3u8', width: 640, height: 360, bandwidth: 900_000, averageBandwidth: 850_000, codecs: 'avc1.64001e' }], undefined)).toBe(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=850000,RESOLUTION=640x360,CODECS="avc1.64001e"\n360p/index.m3u8\n',
    );
  });

  const parts = [
    { init: 'init_0.mp4', segments: [{ uri: 'segment_00000.m4s', durationSeconds: 4 }] },
    { init: 'init_0.mp4', segments: [{ uri: 'segment_00001.m4s', durationSeconds: 4 }, { uri: 'segment_00002.m4s', durationSeconds: 4 }] },
    { init: 'init_2.mp4', segments: [{ uri: 'segment_00003.m4s', durationSeconds: 1.5 }] },
  ];

  it('joins the chunks of a finished rendition into one VOD playlist, with an EXT-X-MAP where the init segment changes', () => {
    expect(mediaPlaylist(parts, true)).toBe(
      [
        ...['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS'],
        ...['#EXT-X-MAP:URI="init_0.mp4"', '#EXTINF:4.000000,', 'segment_00000.m4s', '#EXTINF:4.000000,', 'segment_00001.m4s', '#EXTINF:4.000000,', 'segment_00002.m4s'],
        ...['#EXT-X-MAP:URI="init_2.mp4"', '#EXTINF:1.500000,', 'segment_00003.m4s', '#EXT-X-ENDLIST', ''],
      ].join('\n'),
    );
  });

  it('writes an unfinished rendition as a growing EVENT playlist without an end', () => {
    const growing = mediaPlaylist(parts.slice(0, 2), false);
    expect(growing).toContain('#EXT-X-PLAYLIST-TYPE:EVENT\n');
    expect(growing).not.toContain('#EXT-X-ENDLIST');
    expect(mediaPlaylistFiles(growing).segments.map((segment) => segment.uri)).toEqual(['segment_00000.m4s', 'segment_00001.m4s', 'segment_00002.m4s']);
  });
});
