"""The Deep JSCC block names from before the codec interface: thin wrappers of the Codec
Encoder / Decoder blocks, so existing flowgraphs keep working (any registered model works)."""
from .. import meta as M
from .codec_blocks import codec_decode_pdu, codec_decoder, codec_encode_pdu, codec_encoder


class deepjscc_encode_pdu(codec_encode_pdu):
    """Image PDU in -> symbol PDU out (codec_encode_pdu with a Deep JSCC model)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", threads=0, engine="auto", snr_db=None):
        codec_encode_pdu.__init__(self, model, threads=threads, engine=engine, snr_db=snr_db)


class deepjscc_decode_pdu(codec_decode_pdu):
    """Symbol PDU in -> image PDU out (codec_decode_pdu with a Deep JSCC model)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", height=0, width=0, threads=0, engine="auto", snr_db=None):
        codec_decode_pdu.__init__(self, model, height, width, threads, engine=engine, snr_db=snr_db)


class deepjscc_encoder(codec_encoder):
    """Image PDUs in, tagged symbol stream out (codec_encoder with a Deep JSCC model)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", threads=0, len_tag_key=M.LEN_TAG, engine="auto", snr_db=None):
        codec_encoder.__init__(self, model, threads=threads, len_tag_key=len_tag_key, engine=engine, snr_db=snr_db)


class deepjscc_decoder(codec_decoder):
    """Tagged symbol stream in, image PDUs out (codec_decoder with a Deep JSCC model)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", height=0, width=0, threads=0, len_tag_key=M.LEN_TAG,
                 engine="auto", snr_db=None):
        codec_decoder.__init__(self, model, height, width, threads, len_tag_key=len_tag_key, engine=engine,
                               snr_db=snr_db)
