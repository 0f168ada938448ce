import { randomBytes, randomInt } from 'node:crypto';

/** 32 lowercase hex characters, the shape of MLflow's run ids (uuid4().hex). */
export function newRunId(): string {
  const bytes = randomBytes(16);
  // Version and variant bits make it a valid v4 UUID, as MLflow's are.
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes.toString('hex');
}

const ADJECTIVES = [
  'able', 'agile', 'amber', 'ample', 'angry', 'astute', 'bold', 'brave', 'bright', 'brisk', 'calm', 'capable',
  'caring', 'casual', 'clean', 'clever', 'cool', 'crisp', 'curious', 'daring', 'dashing', 'defiant', 'eager',
  'earnest', 'easy', 'elegant', 'fair', 'fearless', 'fluffy', 'fortunate', 'gentle', 'gifted', 'glad', 'golden',
  'graceful', 'grand', 'happy', 'hardy', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively', 'loyal', 'lucky',
  'merry', 'mighty', 'modest', 'nimble', 'noble', 'patient', 'placid', 'polite', 'proud', 'quick', 'quiet',
  'rare', 'rebellious', 'resilient', 'robust', 'rogue', 'sassy', 'serene', 'sharp', 'shy', 'silent', 'silver',
  'sincere', 'sleek', 'smooth', 'spirited', 'steady', 'sturdy', 'sunny', 'swift', 'tender', 'thoughtful',
  'tidy', 'tireless', 'trusting', 'unique', 'upbeat', 'valiant', 'vibrant', 'victorious', 'vivid', 'warm',
  'wise', 'witty', 'zealous',
];

const ANIMALS = [
  'ant', 'ape', 'asp', 'auk', 'bass', 'bat', 'bear', 'bee', 'bird', 'bison', 'boar', 'bug', 'calf', 'carp',
  'cat', 'colt', 'crab', 'crane', 'crow', 'cub', 'deer', 'doe', 'dog', 'dove', 'duck', 'eel', 'elk', 'fawn',
  'finch', 'fish', 'flea', 'fly', 'foal', 'fowl', 'fox', 'frog', 'gnat', 'gnu', 'goat', 'goose', 'grouse',
  'gull', 'hare', 'hawk', 'hen', 'hog', 'horse', 'hound', 'jay', 'kite', 'koi', 'lamb', 'lark', 'lynx', 'mare',
  'mink', 'mole', 'moose', 'moth', 'mouse', 'mule', 'newt', 'owl', 'ox', 'panda', 'pig', 'pony', 'puma',
  'ram', 'rat', 'robin', 'seal', 'shark', 'sheep', 'shrew', 'skink', 'slug', 'snail', 'snake', 'squid', 'stag',
  'stork', 'swan', 'toad', 'trout', 'vole', 'wasp', 'whale', 'wolf', 'worm', 'wren', 'yak', 'zebra',
];

/** A memorable `adjective-animal-NNN` name for runs created without one, as MLflow gives. */
export function newRunName(): string {
  const adjective = ADJECTIVES[randomInt(ADJECTIVES.length)]!;
  const animal = ANIMALS[randomInt(ANIMALS.length)]!;
  return `${adjective}-${animal}-${randomInt(1000)}`;
}
