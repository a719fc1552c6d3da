/**
 * Inputs of the GitHub Action only, outside `Settings`: the GitHub front end reads and checks them itself,
 * and only its metadata (action.yml, docs/github.md) lists them, after the registry's table. Azure DevOps and
 * the CLI do not have them (no Azure name).
 */
import { BOOLEAN_OPTIONS, type InputDef } from '../../core/inputs/index.js';

export const GITHUB_ONLY_INPUTS: ReadonlyArray<Omit<InputDef, 'azureName'>> = [
  {
    name: 'pr-comment',
    group: 'advanced',
    default: 'false',
    options: BOOLEAN_OPTIONS,
    description:
      'On a pull request, post the summary table as a comment, one per pull request and step, updated in place on re-runs. A comment that cannot be posted (permissions, fork pull requests) only warns.',
    example: 'true',
  },
  {
    name: 'github-token',
    group: 'advanced',
    default: '${{ github.token }}',
    secret: true,
    description: 'Token for the pull-request comment (pr-comment); it needs pull-requests: write. Default: the workflow token.',
    example: '${{ secrets.GITHUB_TOKEN }}',
  },
];
