/**
 * Subject name strategies of the Confluent serializers: under which subject a topic's value
 * schema is registered (and so whose versions the registry's compatibility rule compares).
 */
export const SUBJECT_STRATEGIES = ['topic', 'record', 'topic-record'] as const;
export type SubjectStrategy = (typeof SUBJECT_STRATEGIES)[number];

/**
 * topic (TopicNameStrategy, the default): `<topic>-value`; record (RecordNameStrategy): the
 * record's full name; topic-record (TopicRecordNameStrategy): `<topic>-<full name>`.
 */
export function subjectName(strategy: SubjectStrategy, topic: string, recordName: string): string {
  switch (strategy) {
    case 'topic':
      return `${topic}-value`;
    case 'record':
      return recordName;
    case 'topic-record':
      return `${topic}-${recordName}`;
  }
}
