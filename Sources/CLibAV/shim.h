#pragma once
#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/dict.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

// Swift cannot import function-like macros (AVERROR, FFERRTAG) nor index the
// fixed-size C arrays in AVFrame without tuple gymnastics; these one-liners
// expose exactly what ReelMedia needs.

static inline int reel_averror_eof(void) { return AVERROR_EOF; }
static inline int reel_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int reel_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t reel_nopts_value(void) { return AV_NOPTS_VALUE; }

static inline uint8_t **reel_frame_data(AVFrame *frame) { return frame->data; }
static inline int *reel_frame_linesize(AVFrame *frame) { return frame->linesize; }
