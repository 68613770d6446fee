"""A BERT-base encoder layer (Devlin et al., 2019: hidden 768, 12 heads of 64, feed-forward
3072, post-layer-norm), written out with nn.Linear and torch.matmul so that torch.fx traces it.
tests/python/test_import.py imports it with `nibble import torch bert_layer:build`."""

import math

import torch
from torch import nn

HIDDEN, HEADS, FFN, SEQ = 768, 12, 3072, 128


class EncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.output = nn.Linear(HIDDEN, HIDDEN)
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.act = nn.GELU()
        self.ffn_output = nn.Linear(FFN, HIDDEN)
        self.norm2 = nn.LayerNorm(HIDDEN)

    def heads(self, x):
        # [B, S, 768] -> [B, 12, S, 64]
        return x.reshape(x.shape[0], x.shape[1], HEADS, HIDDEN // HEADS).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS)
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3)
        context = context.reshape(x.shape[0], x.shape[1], HIDDEN)
        h = self.norm1(x + self.output(context))
        return self.norm2(h + self.ffn_output(self.act(self.intermediate(h))))


def build():
    """The model and an example input of batch 1: 128 tokens of 768 features."""
    return EncoderLayer(), torch.zeros(1, SEQ, HIDDEN)
