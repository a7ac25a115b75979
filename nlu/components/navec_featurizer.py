"""Dense Russian word vectors as DIET features: navec's 250K-word news vectors (300
dimensions), which the `natasha` wheel ships, so nothing is downloaded at run time.

A word the vectors do not know is looked up by its lemma, else it gets zeros; the sentence
feature is the mean of the word vectors. Nothing is trained, so nothing is stored.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import natasha
import numpy as np
from navec import Navec
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import MEAN_POOLING, POOLING

_VECTORS = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"


@lru_cache(maxsize=1)
def _navec() -> Any:
    return Navec.load(Path(natasha.__file__).parent / _VECTORS)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class NavecFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def required_packages() -> list[str]:
        return ["natasha", "navec"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), POOLING: MEAN_POOLING}

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._vectors = _navec()
        self._size = len(self._vectors["<unk>"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NavecFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def _vector(self, word: str, lemma: str) -> np.ndarray:
        for key in (word, lemma):
            if key in self._vectors:
                return np.asarray(self._vectors[key], dtype=np.float32)
        return np.zeros(self._size, dtype=np.float32)

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens:
            return
        sequence = np.array([self._vector(t.text, t.lemma or t.text) for t in tokens])
        sentence = self.aggregate_sequence_features(sequence, self._config[POOLING])
        alias = self._config[FEATURIZER_CLASS_ALIAS]
        message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, alias))
        message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, alias))
